//go:build !nokube

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// TestAPIServer: the addresses no Node's route may hold are the
// kubeconfig's server's, looked up when it is a name.
func TestAPIServer(t *testing.T) {
	for server, want := range map[string]string{
		"https://192.0.2.10:6443":     "192.0.2.10 the Kubernetes API server's address (the kubeconfig's server https://192.0.2.10:6443)",
		"https://[fd00:240::10]:6443": "fd00:240::10 the Kubernetes API server's address",
		"https://[::ffff:192.0.2.10]": "192.0.2.10 the Kubernetes API server's address",
		"192.0.2.10:6443":             "192.0.2.10 the Kubernetes API server's address",
		"https://localhost:6443":      "127.0.0.1 an address of the Kubernetes API server localhost (the kubeconfig's server https://localhost:6443)",
	} {
		keep, err := apiServer(context.Background(), server)
		if err != nil || len(keep) == 0 || !strings.HasPrefix(fmt.Sprintf("%s %s", keep[0].Addr, keep[0].What), want) {
			t.Errorf("%s: %v, %v; want %q first", server, keep, err, want)
		}
	}
	var ee *exitError
	if _, err := apiServer(context.Background(), "https://no-such-host.invalid:6443"); !errors.As(err, &ee) || ee.code != exitFailure ||
		!strings.Contains(err.Error(), "looking up the Kubernetes API server no-such-host.invalid") {
		t.Errorf("an unknown name: %v, want a failure (exit 1) saying so", err)
	}
}

// TestKubeconfigPluginNotRoots: as root, a kubeconfig whose credential
// plugin another user owns is refused (exit 2) before the plugin runs.
func TestKubeconfigPluginNotRoots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	plugin := filetest.Write(t, filepath.Join(dir, "cred"), "#!/bin/sh\ntouch "+ran+"\n"+
		`echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}'`+"\n", 0o755)
	if err := os.Chown(plugin, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filetest.Write(t, filepath.Join(dir, "kubeconfig"), `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: podroutes
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./cred, interactiveMode: Never}
contexts:
- name: default
  context: {cluster: lab, user: podroutes}
current-context: default
`, 0o600)
	expect(t, "check --kubeconfig", podroutes(t, "check", "--kubeconfig", kubeconfig), 2,
		kubeconfig+": refusing users[podroutes].user.exec.command "+plugin+": owned by uid 65534, not root")
	if _, err := os.Stat(ran); err == nil {
		t.Error("root ran the plugin of uid 65534")
	}
}
