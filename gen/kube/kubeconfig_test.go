package kube

import (
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
