package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
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

// TestGenRefusesNonFiles: an inventory that is not a regular file
// (/dev/zero never ends, a FIFO blocks) is refused at once, exit 2, as
// apply refuses such a config; standard input still works.
func TestGenRefusesNonFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		for _, cmd := range []string{"gen", "validate"} {
			r := podroutes(t, cmd, "--inventory", path)
			if r.code != 2 || !strings.Contains(r.stderr, path+": refusing inventory: not a regular file") {
				t.Errorf("%s --inventory %s: exit %d, stderr %q", cmd, path, r.code, r.stderr)
			}
		}
	}
	data := filetest.Read(t, lab)
	cmd := exec.Command(podroutesBin, "validate", "--inventory", "-")
	cmd.Stdin = strings.NewReader(string(data))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("validate from stdin: %v\n%s", err, out)
	}
}

// TestGenLinkLocalNeedsUplink: link-local IPv6 node addresses are refused
// in machines.txt (no uplink to name the device), and with uplinks in a
// YAML inventory gen writes routes apply takes: `device:`, and `dev` in
// the ip commands.
func TestGenLinkLocalNeedsUplink(t *testing.T) {
	dir := t.TempDir()
	machines := filepath.Join(dir, "machines.txt")
	filetest.Write(t, machines, "10.240.0.20,fe80::20 node-0.local node-0 10.200.0.0/24,fd00:200::/64\n10.240.0.21,fe80::21 node-1.local node-1 10.200.1.0/24,fd00:200:1::/64\n", 0o644)
	expect(t, "gen machines.txt", podroutes(t, "gen", "--inventory", machines), 2,
		machines+`:1: address fe80::20 is link-local: the routes to "node-0"'s IPv6 subnets need a device, and "node-1" (line 2) has no uplink`)
	inv := filepath.Join(dir, "inventory.yaml")
	filetest.Write(t, inv, "defaults: {uplink: eth0}\nhosts:\n"+
		"  - {name: node-0, addresses: [10.240.0.20, \"fe80::20\"], podSubnets: [10.200.0.0/24, \"fd00:200::/64\"]}\n"+
		"  - {name: node-1, addresses: [10.240.0.21, \"fe80::21\"], podSubnets: [10.200.1.0/24, \"fd00:200:1::/64\"]}\n", 0o644)
	expect(t, "gen --format ip", podroutes(t, "gen", "--inventory", inv, "--format", "ip", "--node", "node-0"), 0,
		"ip route replace fd00:200:1::/64 via fe80::21 dev eth0 proto 157 metric 100")
	out := filepath.Join(dir, "out")
	expect(t, "gen --out", podroutes(t, "gen", "--inventory", inv, "--out", out), 0)
	cfg := filepath.Join(out, "node-0/etc/podroutes/routes.yaml")
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	// apply --dry-run reads and validates it without touching routes; the
	// namespace has no eth0, so only the config's validity is at stake.
	_, _, in := node0(t)
	r := runBin(t, nil, in, "apply", "--dry-run", "--config", cfg)
	if r.code == 2 {
		t.Errorf("apply refuses what gen wrote (exit 2):\n%s", r.stderr)
	}
}
