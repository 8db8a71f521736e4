package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lab = "../../examples/machines.txt"

func TestGenWritesTrees(t *testing.T) {
	out := t.TempDir()
	r := podroutes(t, "gen", "--inventory", lab, "--out", out)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("gen: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, h := range []string{"server", "node-0", "node-1"} {
		for _, f := range []string{"etc/podroutes/routes.yaml", "etc/systemd/network/10-netplan-eth0.network.d/50-podroutes.conf"} {
			if _, err := os.Stat(filepath.Join(out, h, f)); err != nil {
				t.Error(err)
			}
		}
	}
	yaml, _ := os.ReadFile(filepath.Join(out, "node-0/etc/podroutes/routes.yaml"))
	if !strings.Contains(string(yaml), "destination: 10.200.1.0/24\n    gateway: 10.240.0.21\n    peer: node-1\n") {
		t.Errorf("node-0's routes.yaml lacks the route to node-1's pods:\n%s", yaml)
	}
}

func TestGenPrintsIP(t *testing.T) {
	r := podroutes(t, "gen", "--inventory", lab, "--format", "ip", "--node", "node-1", "--node", "server")
	want := "# server\n" +
		"ip route replace 10.200.0.0/24 via 10.240.0.20 proto 157 metric 100\n" +
		"ip route replace 10.200.1.0/24 via 10.240.0.21 proto 157 metric 100\n" +
		"# node-1\n" +
		"ip route replace 10.200.0.0/24 via 10.240.0.20 proto 157 metric 100\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, want, r.stderr)
	}
}

func TestGenPrintsTreesWithoutOut(t *testing.T) {
	r := podroutes(t, "gen", "--inventory", lab, "--node", "node-0")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "==> node-0/etc/podroutes/routes.yaml <==\n") ||
		!strings.Contains(r.stdout, "==> node-0/etc/systemd/network/10-netplan-eth0.network.d/50-podroutes.conf <==\n") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

// TestBadInventory: every problem reported with its line, exit 2, nothing
// written.
func TestBadInventory(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "keep"), []byte("x"), 0o644)
	const bad = "testdata/bad-machines.txt"
	for _, args := range [][]string{
		{"validate", "--inventory", bad},
		{"gen", "--inventory", bad, "--out", out},
	} {
		r := podroutes(t, args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%v: exit %d, want 2; stdout %q", args, r.code, r.stdout)
		}
		for _, want := range []string{
			bad + ":2: ", "10.240.0.300",
			bad + ":3: ", "10.200.1.0/24",
			bad + ":4: ",
			bad + ":5: ",
			bad + ":6: ", "node-1",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("gen on a bad inventory wrote into the output directory: %v", entries)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"gen"}, // --inventory is required
		{"gen", "--inventory", lab, "--no-such-flag"},
		{"gen", "--inventory", lab, "--format", "json"},
		{"gen", "--inventory", lab, "--format", "ip", "--out", t.TempDir()},
		{"gen", "--inventory", lab, "--node", "node-9"},
		{"gen", "--inventory", lab, "--network-file", "../x.network"},
		{"gen", "--inventory", lab, "--inventory-format", "csv"},
		{"gen", "--inventory", "testdata/no-such-file"},
		{"no-such-command"},
	} {
		r := podroutes(t, args...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, want 2 with a message; stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestValidateOK(t *testing.T) {
	r := podroutes(t, "validate", "--inventory", lab)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("validate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
