package kube

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

const kubeconfigYAML = `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://10.240.0.10:6443
    certificate-authority: pki/ca.crt
users:
- name: kubelet
  user:
    client-certificate: pki/kubelet-client-current.pem
    client-key: pki/kubelet-client-current.pem
contexts:
- name: default
  context: {cluster: lab, user: kubelet}
current-context: default
`

func writeKubeconfig(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	// client-go reads the files a kubeconfig names, but parses them only
	// when it connects.
	if err := os.Mkdir(filepath.Join(dir, "pki"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pki/ca.crt", "pki/kubelet-client-current.pem"} {
		filetest.Write(t, filepath.Join(dir, f), "PEM", 0o600)
	}
	filetest.Write(t, path, text, mode)
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func TestLoadKubeconfig(t *testing.T) {
	path := writeKubeconfig(t, kubeconfigYAML, 0o600)
	cfg, err := LoadKubeconfig(path, os.Geteuid() == 0)
	if err != nil {
		t.Fatal(err)
	}
	if dir := filepath.Dir(path); cfg.Host != "https://10.240.0.10:6443" || cfg.CAFile != filepath.Join(dir, "pki/ca.crt") ||
		cfg.CertFile != filepath.Join(dir, "pki/kubelet-client-current.pem") {
		t.Errorf("server %s, CA %s, certificate %s: want the server, and files beside the kubeconfig", cfg.Host, cfg.CAFile, cfg.CertFile)
	}
	for name, c := range map[string]struct {
		text  string
		mode  os.FileMode
		trust bool
		want  string
	}{
		"not YAML":        {"{{{", 0o600, false, path + ": "},
		"no context":      {strings.Replace(kubeconfigYAML, "current-context: default", "", 1), 0o600, false, "no current-context"},
		"unknown cluster": {strings.Replace(kubeconfigYAML, "{cluster: lab", "{cluster: other", 1), 0o600, false, `cluster "other" was not found for context "default"`},
		"world-writable":  {kubeconfigYAML, 0o666, true, "refusing kubeconfig: "},
		"a file missing":  {strings.Replace(kubeconfigYAML, "pki/ca.crt", "pki/none.crt", 1), 0o600, false, "unable to read certificate-authority"},
	} {
		p := writeKubeconfig(t, c.text, c.mode)
		_, err := LoadKubeconfig(p, c.trust)
		if want := strings.Replace(c.want, path, p, 1); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: %v, want %q naming the file", name, err, want)
		}
	}
	if _, err := LoadKubeconfig(filepath.Join(t.TempDir(), "none"), false); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing kubeconfig: %v", err)
	}
}

// TestLoadKubeconfigTrustsWhatItNames: root holds every file and program
// the kubeconfig's current context names to the kubeconfig's own rule
// (root's, written by nobody else), naming the file and its field; a
// user other than root may use what it likes.
func TestLoadKubeconfigTrustsWhatItNames(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	const nobody = 65534
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	cred := filetest.Write(t, filepath.Join(bin, "cred"), "#!/bin/sh\n", 0o755)
	withUser := func(user string) string {
		before, _, _ := strings.Cut(kubeconfigYAML, "users:\n")
		_, after, _ := strings.Cut(kubeconfigYAML, "contexts:\n")
		return before + "users:\n- name: kubelet\n  user:\n" + user + "contexts:\n" + after
	}
	const execUser = "    exec: {apiVersion: client.authentication.k8s.io/v1, command: %s, interactiveMode: Never}\n"
	for name, c := range map[string]struct {
		text   string
		change func(dir string) error // dir: the kubeconfig's
		want   string                 // "" = accepted
	}{
		"all root's":           {kubeconfigYAML, nil, ""},
		"the CA nobody's":      {kubeconfigYAML, func(dir string) error { return os.Chown(filepath.Join(dir, "pki/ca.crt"), nobody, nobody) }, "refusing clusters[lab].cluster.certificate-authority DIR/pki/ca.crt: owned by uid 65534, not root"},
		"the client cert 0666": {kubeconfigYAML, func(dir string) error { return os.Chmod(filepath.Join(dir, "pki/kubelet-client-current.pem"), 0o666) }, "refusing users[kubelet].user.client-certificate DIR/pki/kubelet-client-current.pem: group- or world-writable (mode -rw-rw-rw-)"},
		"the client key nobody's": {strings.Replace(kubeconfigYAML, "client-key: pki/kubelet-client-current.pem", "client-key: pki/key.pem", 1), func(dir string) error {
			return chownNew(filepath.Join(dir, "pki/key.pem"), nobody)
		}, "refusing users[kubelet].user.client-key DIR/pki/key.pem: owned by uid 65534"},
		"the token file 0666": {withUser("    tokenFile: token\n"), func(dir string) error {
			filetest.Write(t, filepath.Join(dir, "token"), "secret", 0o600)
			return os.Chmod(filepath.Join(dir, "token"), 0o666)
		}, "refusing users[kubelet].user.tokenFile DIR/token: group- or world-writable"},
		"a root plugin on PATH": {fmt.Sprintf(withUser(execUser), "cred"), nil, ""},
		"a plugin on PATH nobody's": {fmt.Sprintf(withUser(execUser), "cred"), func(string) error { return os.Chown(cred, nobody, nobody) },
			"refusing users[kubelet].user.exec.command " + cred + ": owned by uid 65534"},
		"a plugin beside the kubeconfig 0777": {fmt.Sprintf(withUser(execUser), "bin/cred"), func(dir string) error {
			filetest.Write(t, filepath.Join(dir, "bin/cred"), "#!/bin/sh\n", 0o755)
			return os.Chmod(filepath.Join(dir, "bin/cred"), 0o777)
		}, "refusing users[kubelet].user.exec.command DIR/bin/cred: group- or world-writable"},
		"a plugin not on PATH": {fmt.Sprintf(withUser(execUser), "none"), nil, `refusing users[kubelet].user.exec.command: exec: "none": executable file not found in $PATH`},
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.Chown(cred, 0, 0); err != nil {
				t.Fatal(err)
			}
			path := writeKubeconfig(t, c.text, 0o600)
			dir := filepath.Dir(path)
			if c.change != nil {
				if err := c.change(dir); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadKubeconfig(path, true)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			want := path + ": " + strings.ReplaceAll(c.want, "DIR", dir)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%v, want %q", err, want)
			}
			if _, err := LoadKubeconfig(path, false); err != nil {
				t.Errorf("not as root: %v", err)
			}
		})
	}
}

// chownNew writes a file at path and gives it to uid.
func chownNew(path string, uid int) error {
	if err := os.WriteFile(path, []byte("PEM"), 0o600); err != nil {
		return err
	}
	return os.Chown(path, uid, uid)
}
