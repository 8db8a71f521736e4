//go:build !nokube

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

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
