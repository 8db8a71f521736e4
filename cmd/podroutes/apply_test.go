package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/notifytest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// node0 is a namespace like a lab node: eth0 10.240.0.10/24 towards a peer
// namespace, and a config file with its routes to node-1 and node-2.
func node0(t *testing.T) (ns *nstest.NS, cfg string, in []string) {
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.240.0.10/24", "dev", "eth0")
	cfg = writeConfig(t, `node: node-0
metric: 100
routes:
  - destination: 10.200.1.0/24
    gateway: 10.240.0.21
    peer: node-1
  - destination: 10.200.2.0/24
    gateway: 10.240.0.22
    peer: node-2
`)
	return ns, cfg, []string{"ip", "netns", "exec", ns.Name}
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	return filetest.Write(t, filepath.Join(t.TempDir(), "routes.yaml"), yaml, 0o644)
}

// writeRoutes writes a routes.yaml for node with routes, in order, each
// written "DST via GATEWAY" or "DST via GATEWAY peer PEER".
func writeRoutes(t *testing.T, node string, routes ...string) string {
	t.Helper()
	yaml := "node: " + node + "\nroutes:\n"
	for _, r := range routes {
		f := strings.Fields(r)
		if len(f) != 3 && len(f) != 5 || f[1] != "via" || len(f) == 5 && f[3] != "peer" {
			t.Fatalf("route %q: want DST via GATEWAY [peer PEER]", r)
		}
		yaml += "  - destination: " + f[0] + "\n    gateway: " + f[2] + "\n"
		if len(f) == 5 {
			yaml += "    peer: " + f[4] + "\n"
		}
	}
	return writeConfig(t, yaml)
}

// expect fails the test unless r exited with code and each of wants is in
// stdout+stderr.
func expect(t *testing.T, what string, r result, code int, wants ...string) {
	t.Helper()
	out := r.stdout + r.stderr
	if r.code != code {
		t.Errorf("%s: exit %d, want %d\n%s", what, r.code, code, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output lacks %q:\n%s", what, w, out)
		}
	}
}

func TestApplyCheckRemove(t *testing.T) {
	ns, cfg, in := node0(t)
	ns.IP(t, "route", "add", "10.100.0.0/16", "via", "10.240.0.1", "proto", "static")
	run := func(args ...string) result { return runBin(t, nil, in, append(args, "--config", cfg)...) }

	expect(t, "check before apply", run("check"), 1,
		"missing  10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100  # node-1\n")
	expect(t, "dry run", run("apply", "--dry-run"), 0, "add      10.200.2.0/24 via 10.240.0.22")
	expect(t, "check after dry run", run("check"), 1, "missing  10.200.2.0/24")
	expect(t, "apply", run("apply"), 0,
		"added 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100  # node-1\n",
		"2 routes in place: 2 added, 0 replaced, 0 pruned")
	expect(t, "re-apply", run("apply"), 0, "2 routes in place: 0 added, 0 replaced, 0 pruned")
	r := run("check")
	want := "in place  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1\n" +
		"in place  10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100  # node-2\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("check: exit %d, stdout:\n%s\nwant 0 and:\n%s", r.code, r.stdout, want)
	}

	ns.IP(t, "route", "del", "10.200.1.0/24")
	expect(t, "check after a delete", run("check"), 1, "missing  10.200.1.0/24", "routes differ from "+cfg)
	expect(t, "apply restores", run("apply"), 0, "1 added")

	ns.IP(t, "route", "replace", "10.200.2.0/24", "via", "10.240.0.99", "proto", "static", "metric", "100")
	expect(t, "conflict", run("apply"), 1,
		"route 10.200.2.0/24 via 10.240.0.22 (node-2): another owner (static) holds the destination: "+
			"10.200.2.0/24 via 10.240.0.99 dev eth0 proto static metric 100")
	expect(t, "check a conflict", run("check"), 1, "held by another owner  10.200.2.0/24 via 10.240.0.22")
	expect(t, "force", run("apply", "--force"), 0, "replaced 10.200.2.0/24 via 10.240.0.22")

	expect(t, "remove", run("remove"), 0, "deleted 10.200.1.0/24", "deleted 10.200.2.0/24")
	expect(t, "remove again", run("remove"), 0)
	if got := ns.IP(t, "route", "show", "10.100.0.0/16"); !strings.Contains(got, "via 10.240.0.1") {
		t.Errorf("remove took another owner's route: %q", got)
	}
	expect(t, "apply", run("apply"), 0, "2 added")
	expect(t, "remove --all", runBin(t, nil, in, "remove", "--all"), 0, "deleted 10.200.2.0/24")
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("remove --all left:\n%s", got)
	}
}

func TestApplyBadInput(t *testing.T) {
	ns, cfg, in := node0(t)
	writable := writeConfig(t, "node: node-0\nroutes: []\n")
	if err := os.Chmod(writable, 0o666); err != nil {
		t.Fatal(err)
	}
	connected := writeRoutes(t, "node-0", "10.240.0.128/25 via 10.240.0.1")
	for _, args := range [][]string{
		{"apply", "--config", writable},
		{"apply", "--config", filepath.Join(t.TempDir(), "none.yaml")},
		{"apply", "--config", writeRoutes(t, "node-0", "0.0.0.0/0 via 10.240.0.1")},
		{"apply", "--config", connected},
		{"apply", "--config", cfg, "--wait", "-1s"},
		{"apply", "--config", cfg, "--wait", "soon"},
		{"check", "--config", writable},
		{"remove", "--config", writable},
		{"remove", "--all", "--config", cfg},
	} {
		expect(t, strings.Join(args, " "), runBin(t, nil, in, args...), 2)
	}
	expect(t, "connected", runBin(t, nil, in, "apply", "--config", connected), 2,
		"destination overlaps 10.240.0.0/24 on eth0, a subnet this host is directly connected to")
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("refused configs left routes:\n%s", got)
	}
}

// TestApplyListsProblems: 150 routes whose gateways no address reaches
// (an uplink still down after --wait) are 151 problems: apply lists the
// first 100 on stderr and counts the rest, and says why in STATUS=.
func TestApplyListsProblems(t *testing.T) {
	_, _, in := node0(t)
	routes := make([]string, 150)
	for i := range routes {
		routes[i] = fmt.Sprintf("10.201.%d.0/24 via 10.241.0.%d", i, i+1)
	}
	cfg := writeRoutes(t, "node-0", routes...)
	sd := notifytest.Listen(t)
	r := runBin(t, []string{sd.Env()}, in, "apply", "--config", cfg, "--wait", "0")
	expect(t, "apply", r, 1, "podroutes apply: gateways 10.241.0.1, ",
		"adding route 10.201.98.0/24 via 10.241.0.99: network is unreachable", "\n... and 51 more problems (the first 100 are listed)\n")
	if n := strings.Count(r.stderr, "\n"); n != 102 { // the status line, 100 problems, the count
		t.Errorf("apply wrote %d lines to stderr, want 102:\n%s", n, r.stderr)
	}
	if got := sd.Wait(t, "STATUS="); !strings.Contains(got, "... and 51 more problems") || !strings.HasSuffix(got, "\nERRNO=101") {
		t.Errorf("notification %q, want the problems listed and counted, ERRNO=101 (ENETUNREACH)", got)
	}
}

// TestApplyWaitFails: a gateway no address reaches fails after --wait,
// named, while the other route goes in.
func TestApplyWaitFails(t *testing.T) {
	_, _, in := node0(t)
	cfg := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21", "10.200.2.0/24 via 10.241.0.22")
	start := time.Now()
	r := runBin(t, nil, in, "apply", "--config", cfg, "--wait", "500ms")
	expect(t, "apply", r, 1, "added 10.200.1.0/24",
		"gateway 10.241.0.22 unreachable after waiting 500ms (no up link has an address on their subnet)",
		"adding route 10.200.2.0/24 via 10.241.0.22: network is unreachable")
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("apply gave up after %s, before --wait", d)
	}
}

// TestApplyNotifiesSystemd: with NOTIFY_SOCKET, apply says READY=1 and
// its status once the routes are in; a failed apply says why.
func TestApplyNotifiesSystemd(t *testing.T) {
	ns, cfg, in := node0(t)
	sd := notifytest.Listen(t)
	env := []string{sd.Env()}
	receive := func() string {
		t.Helper()
		return sd.Wait(t, "") // the next notification
	}

	expect(t, "apply", runBin(t, env, in, "apply", "--config", cfg), 0)
	if got, want := receive(), "READY=1\nSTATUS=2 routes in place: 2 added, 0 replaced, 0 pruned"; got != want {
		t.Errorf("notification %q, want %q", got, want)
	}

	ns.IP(t, "route", "replace", "10.200.1.0/24", "via", "10.240.0.99", "proto", "boot", "metric", "100")
	expect(t, "apply with a conflict", runBin(t, env, in, "apply", "--config", cfg), 1)
	got := receive()
	if !strings.HasPrefix(got, "STATUS=podroutes apply: route 10.200.1.0/24 via 10.240.0.21 (node-1): another owner (boot)") ||
		!strings.HasSuffix(got, "\nERRNO=5") || strings.Contains(got, "READY=1") {
		t.Errorf("notification %q, want STATUS= naming the conflict, ERRNO=5 (EIO), no READY=1", got)
	}
}
