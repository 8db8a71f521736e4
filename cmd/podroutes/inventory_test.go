package main

import (
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/gen"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/source"
	"github.com/podroutes/podroutes/internal/synth"
)

// hostLike is a namespace with a host's addresses on its uplink (the
// inventory's uplink, else eth0): /24 for IPv4, /64 for IPv6, on a veth
// to a peer. It returns the `ip netns exec` prefix.
func hostLike(t *testing.T, h inventory.Host) (*nstest.NS, []string) {
	ns, peer := nstest.New(t), nstest.New(t)
	dev := h.Uplink
	if dev == "" {
		dev = "eth0"
	}
	nstest.Veth(t, ns, dev, peer, "eth0")
	for _, a := range h.Addrs {
		bits := 24
		if a.Is6() {
			bits = 64
		}
		ns.IP(t, "addr", "add", netip.PrefixFrom(a, bits).String(), "dev", dev, "nodad")
	}
	return ns, []string{"ip", "netns", "exec", ns.Name}
}

// routes are podroutes' routes in ns, IPv4 and IPv6, as `ip route` shows
// them without the nexthop ids (they differ from one apply to the next).
func routes(t *testing.T, ns *nstest.NS) string {
	out := ns.IP(t, "route", "show", "proto", "157") + ns.IP(t, "-6", "route", "show", "proto", "157")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && f[1] == "nhid" {
			f = append(f[:1], f[3:]...)
		}
		lines = append(lines, strings.Join(f, " "))
	}
	return strings.Join(lines, "\n")
}

// TestInventoryMatchesGen: on every host of the golden inventories and of
// a 12-node cluster, `apply --inventory` (no --node: found by address)
// installs the very routes `gen --node` + `apply --config` do.
func TestInventoryMatchesGen(t *testing.T) {
	dir := t.TempDir()
	twelve := filepath.Join(dir, "twelve.txt")
	filetest.Write(t, twelve, string(synth.Machines(12, true)), 0o644)
	invs := []string{twelve}
	for _, f := range []string{"lab-machines.txt", "dualstack-machines.txt", "cluster.yaml", "kubectl-nodes.json"} {
		invs = append(invs, filepath.Join("../../gen/testdata", f))
	}
	for _, path := range invs {
		data := filetest.Read(t, path)
		inv, err := inventory.Parse(path, data, inventory.FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range inv.Hosts {
			t.Run(filepath.Base(path)+"/"+h.Name, func(t *testing.T) {
				ns, in := hostLike(t, h)
				expect(t, "apply --inventory", runBin(t, nil, in, "apply", "--inventory", path, "--wait", "0"), 0, " in place: ")
				byInventory := routes(t, ns)
				expect(t, "remove --all", runBin(t, nil, in, "remove", "--all"), 0)
				out := filepath.Join(t.TempDir(), "tree")
				expect(t, "gen --node", podroutes(t, "gen", "--inventory", path, "--node", h.Name, "--out", out), 0)
				cfg := filepath.Join(out, h.Name, "etc/podroutes/routes.yaml")
				expect(t, "apply --config", runBin(t, nil, in, "apply", "--config", cfg, "--wait", "0"), 0)
				if byGen := routes(t, ns); byInventory != byGen {
					t.Errorf("apply --inventory installed:\n%s\ngen + apply --config:\n%s", byInventory, byGen)
				}
				if byInventory == "" && strings.Count(string(data), "/") > 1 {
					t.Logf("%s gets no routes", h.Name)
				}
			})
		}
	}
}

// TestInventoryWhichHost: a host in no line, and a host two lines claim,
// are told what was tried, exit 2, nothing written; --node settles it.
func TestInventoryWhichHost(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "machines.txt")
	filetest.Write(t, inv, "10.240.0.20 node-0.k.local node-0 10.200.0.0/24\n10.240.0.30 node-9.k.local node-9 10.200.9.0/24\n10.240.0.21 node-1.k.local node-1 10.200.1.0/24\n", 0o644)
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.240.0.99/24", "dev", "eth0")
	in := []string{"ip", "netns", "exec", ns.Name}
	for _, args := range [][]string{{"apply", "--wait", "0"}, {"check"}, {"watch", "--wait", "0"}} {
		expect(t, args[0]+" in no line", runBin(t, nil, in, append(args, "--inventory", inv)...), 2,
			inv+": which host is this? no host has one of this host's addresses (", "10.240.0.99", "the hosts: node-0, node-9, node-1; say which with --node")
	}
	ns.IP(t, "addr", "add", "10.240.0.20/24", "dev", "eth0")
	ns.IP(t, "addr", "add", "10.240.0.30/24", "dev", "eth0")
	expect(t, "apply, two lines", runBin(t, nil, in, "apply", "--inventory", inv), 2,
		"more than one host has an address of this host's: node-0 (line 1, 10.240.0.20), node-9 (line 2, 10.240.0.30)")
	if got := routes(t, ns); got != "" {
		t.Fatalf("a refused apply wrote:\n%s", got)
	}
	ns.IP(t, "addr", "del", "10.240.0.20/24", "dev", "eth0")
	ns.IP(t, "addr", "del", "10.240.0.30/24", "dev", "eth0")
	expect(t, "apply --node", runBin(t, nil, in, "apply", "--inventory", inv, "--node", "node-9"), 0, "2 routes in place")
}

// TestBadInventoryKeepsRoutes: an inventory with a bad line anywhere is
// refused, FILE:LINE, exit 2, before any write: the routes in place stay.
func TestBadInventoryKeepsRoutes(t *testing.T) {
	ns, _, in := node0(t)
	inv := filepath.Join(t.TempDir(), "machines.txt")
	good := "10.240.0.10 node-0.k.local node-0 10.200.0.0/24\n10.240.0.21 node-1.k.local node-1 10.200.1.0/24\n10.240.0.22 node-2.k.local node-2 10.200.2.0/24\n"
	filetest.Write(t, inv, good, 0o644)
	expect(t, "apply", runBin(t, nil, in, "apply", "--inventory", inv), 0, "2 routes in place")
	before := routes(t, ns)
	filetest.Write(t, inv, good+"10.240.0.23 node-3.k.local node-3 10.200.2.0/24\n", 0o644)
	for _, cmd := range []string{"apply", "watch", "remove", "check"} {
		expect(t, cmd, runBin(t, nil, in, cmd, "--inventory", inv), 2,
			fmt.Sprintf("%s:4: duplicate subnet 10.200.2.0/24 (also \"node-2\" on line 3)", inv))
	}
	if after := routes(t, ns); after != before {
		t.Errorf("a refused inventory changed the routes:\n%s\nwant:\n%s", after, before)
	}
}

// TestInventoryWaitsForTheAddress: at boot the address that says which
// host this is may come late: apply waits for it (up to --wait), then
// finds the host and installs its routes.
func TestInventoryWaitsForTheAddress(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "machines.txt")
	filetest.Write(t, inv, "10.240.0.20 node-0.k.local node-0 10.200.0.0/24\n10.240.0.21 node-1.k.local node-1 10.200.1.0/24\n", 0o644)
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	in := []string{"ip", "netns", "exec", ns.Name}
	p := startBin(t, nil, in, "apply", "--inventory", inv, "--wait", "20s")
	p.waitOutput(t, "waiting up to 20s for an address that says which host of "+inv+" this is")
	ns.IP(t, "addr", "add", "10.240.0.20/24", "dev", "eth0")
	if code, out := p.wait(t); code != 0 || !strings.Contains(out, "1 route in place: 1 added") {
		t.Errorf("apply: exit %d:\n%s", code, out)
	}
	if got := routes(t, ns); got != "10.200.1.0/24 via 10.240.0.21 dev eth0 metric 100" {
		t.Errorf("routes:\n%s", got)
	}
}

// TestCloudInitExample: examples/cloud-init.yaml is cloud-config YAML that
// writes a valid inventory, root-owned, to /etc/podroutes/inventory, and
// enables the units.
func TestCloudInitExample(t *testing.T) {
	data := filetest.Read(t, "../../examples/cloud-init.yaml")
	if !strings.HasPrefix(string(data), "#cloud-config\n") {
		t.Error("the first line is not #cloud-config: cloud-init would ignore it")
	}
	var doc struct {
		WriteFiles []struct{ Path, Owner, Permissions, Content string } `yaml:"write_files"`
		Runcmd     [][]string
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.WriteFiles) != 1 || doc.WriteFiles[0].Path != source.DefaultInventory || doc.WriteFiles[0].Owner != "root:root" || doc.WriteFiles[0].Permissions != "0644" {
		t.Fatalf("write_files %+v, want %s, root:root, 0644", doc.WriteFiles, source.DefaultInventory)
	}
	if _, err := inventory.Parse("cloud-init.yaml", []byte(doc.WriteFiles[0].Content), inventory.FormatAuto); err != nil {
		t.Errorf("the inventory it writes: %v", err)
	}
	if got := fmt.Sprint(doc.Runcmd); !strings.Contains(got, "[systemctl enable --now podroutes.service podroutes-watch.service]") {
		t.Errorf("runcmd %s does not enable the units", got)
	}
}

// TestNetworkdDropInInline: with --networkd-dropin, apply writes this
// host's drop-in and routes that carry their gateway, as networkd's do
// (networkd adopts those; one through a nexthop object is another route
// to it), and no nexthop object; without, through nexthop objects, which
// an apply with it then replaces. networkctl fails here (no networkd): a warning, the routes go in.
func TestNetworkdDropInInline(t *testing.T) {
	ns, _, in := node0(t)
	inv := filepath.Join(t.TempDir(), "machines.txt")
	filetest.Write(t, inv, "10.240.0.10 node-0.lab node-0 10.200.0.0/24\n10.240.0.21 node-1.lab node-1 10.200.1.0/24\n", 0o644)
	dropIns := t.TempDir()
	expect(t, "apply --networkd-dropin", runBin(t, nil, in, "apply", "--inventory", inv, "--networkd-dropin", dropIns, "--wait", "0"), 0,
		"1 route in place")
	wantInline(t, ns, "with --networkd-dropin")
	if files, _ := filepath.Glob(filepath.Join(dropIns, "*.network.d", "50-podroutes.conf")); len(files) != 1 {
		t.Errorf("drop-ins written: %q, want one", files)
	}
	expect(t, "remove --all", runBin(t, nil, in, "remove", "--all"), 0)
	expect(t, "apply", runBin(t, nil, in, "apply", "--inventory", inv, "--wait", "0"), 0, "1 route in place")
	if got := ns.IP(t, "route", "show", "proto", "157"); !strings.Contains(got, " nhid ") {
		t.Errorf("without --networkd-dropin, apply installed %q, want a route through a nexthop object", got)
	}
	// The drop-in turned on later (the upgrade path): the route through a
	// nexthop object is replaced by one that carries its gateway.
	expect(t, "apply --networkd-dropin after", runBin(t, nil, in, "apply", "--inventory", inv, "--networkd-dropin", dropIns, "--wait", "0"), 0,
		"was through a nexthop object", "1 route in place: 0 added, 1 replaced")
	wantInline(t, ns, "after an apply without --networkd-dropin")
}

// wantInline fails the test unless ns's one route of podroutes' carries
// its gateway, as networkd's do, and podroutes has no nexthop object
// there, after what when says.
func wantInline(t *testing.T, ns *nstest.NS, when string) {
	t.Helper()
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "10.200.1.0/24 via 10.240.0.21 dev eth0 metric 100 \n" {
		t.Errorf("%s, apply --networkd-dropin left %q, want the gateway in the route", when, got)
	}
	if got := ns.IP(t, "nexthop", "show", "proto", "157"); got != "" {
		t.Errorf("%s, apply --networkd-dropin left nexthop objects: %q", when, got)
	}
}

// TestDryRunLeavesDropIns: apply --dry-run --networkd-dropin changes
// nothing in the drop-in directory and runs no `networkctl reload` (a
// networkctl in PATH logs each call), but says what it would write,
// remove and reload, as it says what routes it would add; apply then
// does just that, and remove deletes the drop-in. The directory's name
// has glob metacharacters: a path, not a pattern.
func TestDryRunLeavesDropIns(t *testing.T) {
	ns, _, in := node0(t)
	inv := filepath.Join(t.TempDir(), "machines.txt")
	filetest.Write(t, inv, "10.240.0.10 node-0.lab node-0 10.200.0.0/24\n10.240.0.21 node-1.lab node-1 10.200.1.0/24\n", 0o644)
	bin, calls := t.TempDir(), filepath.Join(t.TempDir(), "networkctl.log")
	filetest.Write(t, filepath.Join(bin, "networkctl"), "#!/bin/sh\necho \"$@\" >>"+calls+"\n", 0o755)
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	dropIns := filepath.Join(t.TempDir(), "nd[x]") // a path, not a pattern
	stale := filetest.Write(t, filepath.Join(dropIns, "20-eth1.network.d", "50-podroutes.conf"), "[Route]\n", 0o644)
	mine := filepath.Join(dropIns, gen.DefaultNetworkFile+".d", "50-podroutes.conf")
	run := func(args ...string) result {
		return runBin(t, env, in, append([]string{"apply", "--inventory", inv, "--networkd-dropin", dropIns, "--wait", "0"}, args...)...)
	}

	expect(t, "apply --dry-run", run("--dry-run"), 0,
		"write    "+mine+"  # this host's networkd drop-in\n",
		"remove   "+stale+"  # a podroutes drop-in for another .network file\n",
		"reload   systemd-networkd  # networkctl reload\n",
		"add      10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100")
	if got := filesIn(t, dropIns); got != "20-eth1.network.d/50-podroutes.conf" {
		t.Errorf("after the dry run the drop-in directory holds %q, want only the old drop-in", got)
	}
	if b, err := os.ReadFile(calls); err == nil {
		t.Errorf("the dry run ran networkctl %s", b)
	}
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("the dry run installed %q", got)
	}

	expect(t, "apply", run(), 0, "1 route in place")
	if got := filesIn(t, dropIns); got != gen.DefaultNetworkFile+".d/50-podroutes.conf" {
		t.Errorf("after apply the drop-in directory holds %q, want only this host's drop-in", got)
	}
	if b, _ := os.ReadFile(calls); string(b) != "reload\n" {
		t.Errorf("apply ran networkctl %q, want reload once", b)
	}
	r := run("--dry-run")
	expect(t, "apply --dry-run once in place", r, 0)
	if strings.Contains(r.stdout, "write") || strings.Contains(r.stdout, "reload") {
		t.Errorf("dry run with nothing to change printed:\n%s", r.stdout)
	}
	expect(t, "remove --networkd-dropin", runBin(t, env, in, "remove", "--all", "--networkd-dropin", dropIns), 0, "removed "+mine)
	if got := filesIn(t, dropIns); got != "" {
		t.Errorf("remove left %q", got)
	}
}

// filesIn lists the files under dir, relative to it, one a line, sorted.
func filesIn(t *testing.T, dir string) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(files, "\n") // WalkDir walks in lexical order
}

// TestNetworkdDropInRefused: --networkd-dropin with --kubeconfig (the
// drop-in and networkd's reload of the uplink would follow every Node) or
// with --config (that routes.yaml's drop-in is gen's) is bad usage, exit
// 2, before anything is read or written.
func TestNetworkdDropInRefused(t *testing.T) {
	ns, cfg, in := node0(t)
	in = append([]string{"timeout", "30"}, in...) // a watch not refused would run on
	dropIns := t.TempDir()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig") // never read
	for _, cmd := range []string{"apply", "watch"} {
		expect(t, cmd+" --kubeconfig --networkd-dropin",
			runBin(t, nil, in, cmd, "--kubeconfig", kubeconfig, "--networkd-dropin", dropIns, "--wait", "0"), 2,
			"--networkd-dropin excludes --kubeconfig: the drop-in, and networkd's reload of the uplink, would follow every Node")
		expect(t, cmd+" --config --networkd-dropin",
			runBin(t, nil, in, cmd, "--config", cfg, "--networkd-dropin", dropIns, "--wait", "0"), 2,
			"--networkd-dropin excludes --config: a routes.yaml's drop-in is gen's")
	}
	if got := filesIn(t, dropIns); got != "" {
		t.Errorf("refused, yet wrote %q", got)
	}
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("refused, yet installed %q", got)
	}
}
