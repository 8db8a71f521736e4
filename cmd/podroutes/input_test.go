package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRemoveAfterConfigChange: routes.yaml lost a route between apply and
// remove; remove still deletes every route podroutes owns (the one B lost
// too, which apply would prune), and no other owner's.
func TestRemoveAfterConfigChange(t *testing.T) {
	ns, a, in := node0(t)
	ns.IP(t, "route", "add", "10.100.0.0/16", "via", "10.240.0.1", "proto", "static")
	expect(t, "apply A", runBin(t, nil, in, "apply", "--config", a), 0, "2 added")
	b := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21")
	expect(t, "check B", runBin(t, nil, in, "check", "--config", b), 1, "stale  10.200.2.0/24 via 10.240.0.22")
	expect(t, "remove B", runBin(t, nil, in, "remove", "--config", b), 0, "deleted 10.200.1.0/24", "deleted 10.200.2.0/24")
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("remove left:\n%s", got)
	}
	if got := ns.IP(t, "route", "show", "proto", "static"); got != "10.100.0.0/16 via 10.240.0.1 dev eth0 \n" {
		t.Errorf("remove touched another owner's route: %q", got)
	}
}

// TestApplyWithoutIPv6: with IPv6 disabled, the IPv4 routes go in and each
// IPv6 route is named as failed; exit 1.
func TestApplyWithoutIPv6(t *testing.T) {
	ns, _, in := node0(t)
	ns.Sysctl(t, "ipv6/conf/all/disable_ipv6", "1")
	cfg := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21", "fd00:200:1::/64 via fd00:240::21", "fd00:200:2::/64 via fd00:240::22")
	expect(t, "apply", runBin(t, nil, in, "apply", "--config", cfg, "--wait", "0"), 1,
		"added 10.200.1.0/24 via 10.240.0.21",
		"IPv6 looks disabled on this host", "adding route fd00:200:1::/64 via fd00:240::21: ", "adding route fd00:200:2::/64 via fd00:240::22: ")
	expect(t, "check", runBin(t, nil, in, "check", "--config", cfg), 1,
		"in place  10.200.1.0/24", "missing  fd00:200:1::/64", "missing  fd00:200:2::/64")
}

// TestBadConfigLeavesKernel: a malformed config, an unknown key and
// contradicting routes are refused with FILE:LINE by every command that
// writes, and the namespace's routes stay exactly as they were.
func TestBadConfigLeavesKernel(t *testing.T) {
	ns, good, in := node0(t)
	expect(t, "apply", runBin(t, nil, in, "apply", "--config", good), 0)
	snapshot := func() string {
		return ns.IP(t, "route", "show", "table", "all") + ns.IP(t, "-6", "route", "show", "table", "all")
	}
	before := snapshot()
	for _, tt := range []struct{ name, yaml, want string }{
		{"malformed", "node: node-0\nroutes:\n  - destination: [10.200.1.0/24\n", ":3: malformed YAML: did not find expected ',' or ']'"},
		{"unknown key", "node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.21\n    metric: 5\n",
			`:5: unknown key "metric"`},
		{"contradiction", "node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.21\n" +
			"  - destination: 10.200.1.0/24\n    gateway: 10.240.0.29\n", ":5: route to 10.200.1.0/24 via 10.240.0.29 contradicts line 3"},
	} {
		cfg := writeConfig(t, tt.yaml)
		for _, cmd := range []string{"apply", "remove", "watch", "check"} {
			expect(t, tt.name+": "+cmd, runBin(t, nil, in, cmd, "--config", cfg), 2, cfg+tt.want)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("refused configs changed the routes:\n%s\nwant:\n%s", after, before)
	}
	if !strings.Contains(before, "via 10.240.0.21") {
		t.Errorf("the snapshot lacks podroutes' routes:\n%s", before)
	}
}

// TestWithoutNetAdmin: apply, watch and remove run by a user without
// CAP_NET_ADMIN say so, in one line, and exit 1 before they read, lock
// or write anything (the config named does not even exist); a dry run
// only reads, and goes on to the config.
func TestWithoutNetAdmin(t *testing.T) {
	ns, _, _ := node0(t)
	// The binary's directory is root's, 0700: nobody must reach the binary.
	if err := os.Chmod(filepath.Dir(podroutesBin), 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := []string{"ip", "netns", "exec", ns.Name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	missing := filepath.Join(t.TempDir(), "routes.yaml")
	for _, cmd := range []string{"apply", "watch", "remove"} {
		r := runBin(t, nil, nobody, cmd, "--config", missing)
		want := "podroutes " + cmd + ": changing routes needs CAP_NET_ADMIN, which this process does not have: " +
			"run podroutes as root (sudo), or through podroutes.service\n"
		if r.code != exitFailure || r.stderr != want || r.stdout != "" {
			t.Errorf("%s as nobody: exit %d, stdout %q, stderr %q; want %d and %q", cmd, r.code, r.stdout, r.stderr, exitFailure, want)
		}
	}
	expect(t, "apply --dry-run as nobody", runBin(t, nil, nobody, "apply", "--dry-run", "--config", missing), exitInput, "reading config: ")
}
