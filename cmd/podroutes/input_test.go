package main

import (
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

// TestFileOfTheOtherKind: an inventory given as routes.yaml, and a
// routes.yaml given as the inventory, are named for what they are, with
// the flag that reads them, instead of failing on every line; a file of
// neither kind still gets its own problems.
func TestFileOfTheOtherKind(t *testing.T) {
	// Each file is named routes.yaml: an inventory installed as it, too.
	machines := writeConfig(t, "10.240.0.20 node-0.k node-0 10.200.0.0/24\n10.240.0.21 node-1.k node-1 10.200.1.0/24\n")
	routes := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21")
	bad := writeConfig(t, "10.240.0.20 node-0.k\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "--config", machines, "--dry-run"}, machines + ": an inventory (2 hosts), not a routes.yaml: give it with --inventory"},
		{[]string{"check", "--config", machines}, machines + ": an inventory (2 hosts), not a routes.yaml: give it with --inventory"},
		{[]string{"validate", "--inventory", routes}, routes + ": a routes.yaml (the routes of node-0, as podroutes gen writes them), not an inventory: apply, check, remove and watch read it with --config"},
		{[]string{"gen", "--inventory", routes}, routes + ": a routes.yaml (the routes of node-0"},
		{[]string{"apply", "--inventory", routes, "--dry-run"}, routes + ": a routes.yaml (the routes of node-0"},
		{[]string{"apply", "--config", bad, "--dry-run"}, bad + `:1: routes.yaml: want a mapping, got string "10.240.0.20 node-0.k"`},
	} {
		r := podroutes(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("podroutes %s: exit %d, stderr %q; want 2 and the one line %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}
}
