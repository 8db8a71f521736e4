package tunnel_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/internal/nstest"
)

// handle opens a netlink handle in ns, closed when the test ends.
func handle(t *testing.T, ns *nstest.NS) *netlink.Handle {
	t.Helper()
	h, err := netlink.NewHandleAt(ns.Handle)
	if err != nil {
		t.Fatalf("opening a netlink handle in %s: %v", ns.Name, err)
	}
	t.Cleanup(h.Close)
	return h
}

// diff reads the tunnel through h and diffs it with s.
func diff(t *testing.T, h *netlink.Handle, s tunnel.Spec) ([]tunnel.Change, error) {
	t.Helper()
	o, err := tunnel.Read(h)
	if err != nil {
		t.Fatal(err)
	}
	return tunnel.Diff(o, s)
}

// sync makes the tunnel s through h, one change at a time (tunnel.Apply),
// and returns the changes it took; a second diff must find none, and Check
// must find it in place.
func sync(t *testing.T, h *netlink.Handle, s tunnel.Spec) []string {
	t.Helper()
	return syncWith(t, h, s, func(changes []tunnel.Change) error { return tunnel.Apply(h, changes) })
}

// syncWith is sync, the changes made by apply.
func syncWith(t *testing.T, h *netlink.Handle, s tunnel.Spec, apply func([]tunnel.Change) error) []string {
	t.Helper()
	changes, err := diff(t, h, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := apply(changes); err != nil {
		t.Fatal(err)
	}
	again, err := diff(t, h, s)
	if err != nil || len(again) != 0 {
		t.Errorf("after applying, a second diff: %q, %v; want none", again, err)
	}
	if st := status(t, h, s); !st.InPlace() {
		t.Errorf("after applying, not in place: %+v", st)
	}
	return lines(changes)
}

// pipelined makes changes in ns as apply does: kernel.Kernel's
// ChangeTunnel, its entries pipelined (tunnel.ApplyBatch).
func pipelined(t *testing.T, ns *nstest.NS) func([]tunnel.Change) error {
	k := nstest.Open(t, ns, kernel.Open)
	t.Cleanup(k.Close)
	return k.ChangeTunnel
}

func status(t *testing.T, h *netlink.Handle, s tunnel.Spec) tunnel.Status {
	t.Helper()
	o, err := tunnel.Read(h)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tunnel.Check(o, s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func lines(changes []tunnel.Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.String())
	}
	return out
}

// spec is the tunnel of the host at local (its underlay MTU 1500) to the
// pod subnets of node.
func spec(local, node string, subnets ...string) tunnel.Spec {
	l := netip.MustParseAddr(local)
	s := tunnel.Spec{Local: l, MTU: tunnel.MTU(l, 1500)}
	for _, p := range subnets {
		s.Peers = append(s.Peers, tunnel.Peer{Inner: tunnel.Gateway(netip.MustParsePrefix(p)), Node: netip.MustParseAddr(node)})
	}
	return s
}

// route adds the route to subnet through the tunnel, as the caller of the
// package does.
func route(t *testing.T, ns *nstest.NS, subnet string) {
	gw := tunnel.Gateway(netip.MustParsePrefix(subnet))
	ns.IP(t, "route", "add", subnet, "via", gw.String(), "dev", tunnel.Name, "onlink")
}

func mac(node string) string { return tunnel.MAC(netip.MustParseAddr(node)).String() }

// node is a lab host with a dual-stack pod.
type node struct {
	ns, pod *nstest.NS
	h       *netlink.Handle
}

// lab is two hosts on two segments, 10.240.0.0/24 and 10.241.0.0/24
// (fd00:240::/64, fd00:241::/64), joined by a router: a at .20 with pods
// 10.200.0.0/24 and fd00:200::/64, b at .21 (or at bAddr, nstest.Routed.Host's)
// with 10.200.1.0/24 and fd00:200:1::/64, their pods at .2.
func lab(t *testing.T, bAddr ...string) (a, b node) {
	r := nstest.NewRouted(t, []string{"10.240.0.0/24", "fd00:240::/64"}, []string{"10.241.0.0/24", "fd00:241::/64"})
	a.ns = r.Host(t, 0, "10.240.0.20", "fd00:240::20")
	if bAddr == nil {
		bAddr = []string{"10.241.0.21", "fd00:241::21"}
	}
	b.ns = r.Host(t, 1, bAddr...)
	a.pod = nstest.Pod(t, a.ns, "10.200.0.1", "10.200.0.2/24")
	nstest.PodAddr(t, a.ns, a.pod, "fd00:200::1", "fd00:200::2/64")
	b.pod = nstest.Pod(t, b.ns, "10.200.1.1", "10.200.1.2/24")
	nstest.PodAddr(t, b.ns, b.pod, "fd00:200:1::1", "fd00:200:1::2/64")
	a.h, b.h = handle(t, a.ns), handle(t, b.ns)
	return a, b
}

// TestPodsAcross: two hosts on two subnets, each applying its Spec, reach
// each other's pods through the tunnel, IPv4 and IPv6 pods over an IPv4
// underlay; a packet of the device's MTU passes unfragmented, a byte more
// does not.
func TestPodsAcross(t *testing.T) {
	a, b := lab(t)
	got := sync(t, a.h, spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24", "fd00:200:1::/64"))
	want := []string{
		"create vxlan device podroutes-vx vni 157 local 10.240.0.20 mtu 1450",
		"add fdb " + mac("10.241.0.21") + " dst 10.241.0.21 dev podroutes-vx",
		"add neighbour 10.200.1.0 lladdr " + mac("10.241.0.21") + " dev podroutes-vx",
		"add neighbour fd00:200:1:: lladdr " + mac("10.241.0.21") + " dev podroutes-vx",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes on a:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sync(t, b.h, spec("10.241.0.21", "10.240.0.20", "10.200.0.0/24", "fd00:200::/64"))
	for _, r := range []struct {
		ns     *nstest.NS
		subnet string
	}{{a.ns, "10.200.1.0/24"}, {a.ns, "fd00:200:1::/64"}, {b.ns, "10.200.0.0/24"}, {b.ns, "fd00:200::/64"}} {
		route(t, r.ns, r.subnet)
	}
	if out := a.ns.IP(t, "route", "get", "10.200.1.2"); !strings.Contains(out, "dev "+tunnel.Name) {
		t.Fatalf("a's path to b's pod is not the tunnel: %s", out)
	}
	for _, p := range []struct {
		from *nstest.NS
		to   string
	}{{a.pod, "10.200.1.2"}, {a.pod, "fd00:200:1::2"}, {b.pod, "10.200.0.2"}, {b.pod, "fd00:200::2"}} {
		if err := nstest.Ping(t, p.from, p.to, 0); err != nil {
			t.Error(err)
		}
		if err := nstest.Ping(t, p.from, p.to, 1450); err != nil {
			t.Errorf("a packet of the tunnel's MTU: %v", err)
		}
		if err := nstest.Ping(t, p.from, p.to, 1451); err == nil {
			t.Errorf("a packet of 1451 bytes reached %s through a tunnel of MTU 1450 unfragmented", p.to)
		}
	}
}

// TestIPv6Underlay: hosts whose node addresses are IPv6 reach each other's
// pods (IPv4 and IPv6) through a tunnel over IPv6, of MTU 1430; b's
// entries made as apply makes them, pipelined.
func TestIPv6Underlay(t *testing.T) {
	a, b := lab(t)
	sync(t, a.h, spec("fd00:240::20", "fd00:241::21", "10.200.1.0/24", "fd00:200:1::/64"))
	syncWith(t, b.h, spec("fd00:241::21", "fd00:240::20", "10.200.0.0/24", "fd00:200::/64"), pipelined(t, b.ns))
	route(t, a.ns, "10.200.1.0/24")
	route(t, a.ns, "fd00:200:1::/64")
	route(t, b.ns, "10.200.0.0/24")
	route(t, b.ns, "fd00:200::/64")
	for _, to := range []string{"10.200.1.2", "fd00:200:1::2"} {
		if err := nstest.Ping(t, a.pod, to, 1430); err != nil {
			t.Errorf("a packet of the tunnel's MTU: %v", err)
		}
		if err := nstest.Ping(t, a.pod, to, 1431); err == nil {
			t.Errorf("a packet of 1431 bytes reached %s through a tunnel of MTU 1430 unfragmented", to)
		}
	}
}

// TestSlash32Host: a host whose address is a /32 behind an onlink default
// route, as on a cloud VM, has no peer on-link: its pods reach the others
// through the tunnel.
func TestSlash32Host(t *testing.T) {
	a, b := lab(t, "10.241.0.21/32")
	if out := b.ns.IP(t, "route", "show", "default"); !strings.Contains(out, "onlink") {
		t.Fatalf("b's default route: %s", out)
	}
	sync(t, a.h, spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24"))
	sync(t, b.h, spec("10.241.0.21", "10.240.0.20", "10.200.0.0/24"))
	route(t, a.ns, "10.200.1.0/24")
	route(t, b.ns, "10.200.0.0/24")
	if err := nstest.Reach(t, b.pod, a.pod, "10.200.0.2"); err != nil {
		t.Error(err)
	}
}

// TestRepairs: whatever happened to the tunnel between two applies, the
// next diff plans exactly its repair, and one apply makes it so, with the
// changes made one by one (tunnel.Apply) or as apply makes them, the
// entries pipelined (kernel.Kernel, tunnel.ApplyBatch).
func TestRepairs(t *testing.T) {
	t.Run("one by one", func(t *testing.T) {
		ns := nstest.New(t)
		h := handle(t, ns)
		repairs(t, ns, h, func(changes []tunnel.Change) error { return tunnel.Apply(h, changes) })
	})
	t.Run("pipelined", func(t *testing.T) {
		ns := nstest.New(t)
		repairs(t, ns, handle(t, ns), pipelined(t, ns))
	})
}

func repairs(t *testing.T, ns *nstest.NS, h *netlink.Handle, apply func([]tunnel.Change) error) {
	sync := func(t *testing.T, h *netlink.Handle, s tunnel.Spec) []string {
		t.Helper()
		return syncWith(t, h, s, apply)
	}
	s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24", "fd00:200:1::/64")
	s.Peers = append(s.Peers, spec("10.240.0.20", "10.241.0.22", "10.200.2.0/24").Peers...)
	sync(t, h, s)
	b, c := mac("10.241.0.21"), mac("10.241.0.22")
	created := []string{
		"create vxlan device podroutes-vx vni 157 local 10.240.0.20 mtu 1450",
		"add fdb " + b + " dst 10.241.0.21 dev podroutes-vx",
		"add fdb " + c + " dst 10.241.0.22 dev podroutes-vx",
		"add neighbour 10.200.1.0 lladdr " + b + " dev podroutes-vx",
		"add neighbour 10.200.2.0 lladdr " + c + " dev podroutes-vx",
		"add neighbour fd00:200:1:: lladdr " + b + " dev podroutes-vx",
	}
	for _, step := range []struct {
		name  string
		cmds  []string // ip commands, or bridge ones
		plan  []string
		apart bool   // the change leaves the tunnel in place
		keep  string // a neighbour entry apply leaves as it is
	}{
		{"fdb entry flushed", []string{"bridge fdb del " + b + " dev podroutes-vx dst 10.241.0.21"},
			[]string{"add fdb " + b + " dst 10.241.0.21 dev podroutes-vx"}, false, ""},
		{"neighbour deleted", []string{"neigh del 10.200.1.0 dev podroutes-vx"},
			[]string{"add neighbour 10.200.1.0 lladdr " + b + " dev podroutes-vx"}, false, ""},
		{"neighbour no longer permanent", []string{"neigh replace 10.200.2.0 lladdr " + c + " dev podroutes-vx nud reachable"},
			[]string{"add neighbour 10.200.2.0 lladdr " + c + " dev podroutes-vx"}, false, ""},
		{"neighbour of another MAC", []string{"neigh replace fd00:200:1:: lladdr 02:00:00:00:00:01 dev podroutes-vx nud permanent"},
			[]string{"add neighbour fd00:200:1:: lladdr " + b + " dev podroutes-vx"}, false, ""},
		{"stale entries", []string{
			"neigh add 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx nud permanent",
			"bridge fdb append 02:00:00:00:00:09 dev podroutes-vx dst 10.241.0.99",
			"bridge fdb append 00:00:00:00:00:00 dev podroutes-vx dst 10.241.0.97",
			"bridge fdb append 00:00:00:00:00:00 dev podroutes-vx dst 10.241.0.98",
		}, []string{
			"delete neighbour 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx",
			"delete fdb 00:00:00:00:00:00 dst 10.241.0.97 dev podroutes-vx",
			"delete fdb 00:00:00:00:00:00 dst 10.241.0.98 dev podroutes-vx",
			"delete fdb 02:00:00:00:00:09 dst 10.241.0.99 dev podroutes-vx",
		}, false, ""},
		// A unicast MAC has one destination: the kernel replaces it.
		{"fdb entry to another host", []string{"bridge fdb replace " + b + " dev podroutes-vx dst 10.241.0.98"},
			[]string{"add fdb " + b + " dst 10.241.0.21 dev podroutes-vx"}, false, ""},
		{"the kernel's own neighbours are left", []string{"neigh add 10.200.8.0 lladdr 02:00:00:00:00:08 dev podroutes-vx nud stale"}, nil, true, "10.200.8.0"},
		// Down, or of another address, the device loses its neighbour
		// entries, permanent ones too.
		{"down", []string{"link set podroutes-vx down"}, []string{"set up dev podroutes-vx",
			"add neighbour 10.200.1.0 lladdr " + b + " dev podroutes-vx",
			"add neighbour 10.200.2.0 lladdr " + c + " dev podroutes-vx",
			"add neighbour fd00:200:1:: lladdr " + b + " dev podroutes-vx",
		}, false, ""},
		{"mtu", []string{"link set podroutes-vx mtu 1400"}, []string{"set mtu 1450 dev podroutes-vx"}, false, ""},
		{"address", []string{"link set podroutes-vx address 02:00:00:00:00:02"},
			[]string{"set address " + mac("10.240.0.20") + " dev podroutes-vx",
				"add neighbour 10.200.1.0 lladdr " + b + " dev podroutes-vx",
				"add neighbour 10.200.2.0 lladdr " + c + " dev podroutes-vx",
				"add neighbour fd00:200:1:: lladdr " + b + " dev podroutes-vx",
			}, false, ""},
		{"all at once", []string{
			"link set podroutes-vx down",
			"bridge fdb del " + c + " dev podroutes-vx dst 10.241.0.22",
			"neigh add 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx nud permanent",
		}, []string{
			"set up dev podroutes-vx",
			"add fdb " + c + " dst 10.241.0.22 dev podroutes-vx",
			"add neighbour 10.200.1.0 lladdr " + b + " dev podroutes-vx",
			"add neighbour 10.200.2.0 lladdr " + c + " dev podroutes-vx",
			"add neighbour fd00:200:1:: lladdr " + b + " dev podroutes-vx",
			"delete neighbour 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx",
		}, false, ""},
		{"device deleted", []string{"link del podroutes-vx"}, created, false, ""},
		{"a creation left unfinished", []string{
			"link del podroutes-vx",
			"link add podroutes-vxnew type vxlan id 157 dstport 4789 local 10.240.0.20 nolearning",
		}, append([]string{"delete vxlan device podroutes-vxnew (a creation left unfinished)"}, created...), false, ""},
		{"another vni", []string{
			"link del podroutes-vx",
			"link add podroutes-vx type vxlan id 99 dstport 4789 local 10.240.0.20 nolearning",
			"link set podroutes-vx alias podroutes up",
		}, append([]string{"delete vxlan device podroutes-vx (vni 99, want 157: set only at creation)"}, created...), false, ""},
		{"another local address, learning", []string{
			"link del podroutes-vx",
			"link add podroutes-vx type vxlan id 157 dstport 4789 local 10.240.0.30",
			"link set podroutes-vx alias podroutes mtu 1450 address " + mac("10.240.0.20") + " up",
		}, append([]string{"delete vxlan device podroutes-vx (local 10.240.0.30, want 10.240.0.20, learning, want nolearning: set only at creation)"}, created...), false, ""},
	} {
		for _, cmd := range step.cmds {
			run(t, ns, cmd)
		}
		if st := status(t, h, s); st.InPlace() != step.apart {
			t.Errorf("%s: check says in place %v: %+v", step.name, st.InPlace(), st)
		}
		changes, err := diff(t, h, s)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := lines(changes); strings.Join(got, "\n") != strings.Join(step.plan, "\n") {
			t.Errorf("%s: plan:\n%s\nwant:\n%s", step.name, strings.Join(got, "\n"), strings.Join(step.plan, "\n"))
		}
		if got := sync(t, h, s); strings.Join(got, "\n") != strings.Join(lines(changes), "\n") {
			t.Errorf("%s: applied %q, planned %q", step.name, got, lines(changes))
		}
		if step.keep == "" {
			continue
		}
		if out := ns.IP(t, "neigh", "show", step.keep, "dev", tunnel.Name); !strings.Contains(out, "STALE") {
			t.Errorf("%s: the kernel's own neighbour entry is gone or changed: %q", step.name, out)
		}
	}
}

// TestInterrupted: an apply stopped after any of its changes (killed) is
// finished by the next, in one apply; one stopped inside the creation of
// the device, TestRepairs' unfinished creation.
func TestInterrupted(t *testing.T) {
	ns := nstest.New(t)
	h := handle(t, ns)
	s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24", "fd00:200:1::/64")
	s.Peers = append(s.Peers, spec("10.240.0.20", "10.241.0.22", "10.200.2.0/24").Peers...)
	changes, err := diff(t, h, s)
	if err != nil {
		t.Fatal(err)
	}
	for k := range changes {
		if err := tunnel.Apply(h, changes[:k]); err != nil {
			t.Fatalf("the first %d changes: %v", k, err)
		}
		if got := sync(t, h, s); len(got) != len(changes)-k {
			t.Errorf("after the first %d changes, the next apply: %q, want the other %d", k, got, len(changes)-k)
		}
		if _, err := tunnel.Remove(h); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs an ip command, or a bridge one, in ns.
func run(t *testing.T, ns *nstest.NS, cmd string) {
	t.Helper()
	args := strings.Fields(cmd)
	if args[0] != "bridge" {
		ns.IP(t, args...)
		return
	}
	if out, err := exec.Command("ip", append([]string{"netns", "exec", ns.Name}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", cmd, err, out)
	}
}

// TestForeign: a link named podroutes-vx that podroutes did not create,
// a veth or a vxlan device without the alias, is reported by name and left
// as it was, by apply and by remove.
func TestForeign(t *testing.T) {
	for _, create := range []string{
		"link add podroutes-vx type veth peer name other",
		"link add podroutes-vx type vxlan id 157 dstport 4789 local 10.240.0.20 nolearning",
	} {
		ns := nstest.New(t)
		h := handle(t, ns)
		run(t, ns, create)
		before := ns.IP(t, "-d", "link", "show", tunnel.Name)
		s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24")
		_, err := diff(t, h, s)
		var fe *tunnel.ForeignError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "link podroutes-vx is a ") {
			t.Errorf("%s: diff: %v, want a *ForeignError naming podroutes-vx", create, err)
		}
		if st := status(t, h, s); st.Device != tunnel.Foreign || st.InPlace() {
			t.Errorf("%s: check: %+v, want foreign, not in place", create, st)
		}
		if st := status(t, h, tunnel.Spec{}); !st.InPlace() {
			t.Errorf("%s: with no tunnel wanted, check: %+v, want in place", create, st)
		}
		changes, err := tunnel.Remove(h)
		if !errors.As(err, &fe) || len(changes) != 0 {
			t.Errorf("%s: remove: %q, %v; want no change, a *ForeignError", create, lines(changes), err)
		}
		if after := ns.IP(t, "-d", "link", "show", tunnel.Name); after != before {
			t.Errorf("%s: changed:\n%s\nwas:\n%s", create, after, before)
		}
	}
}

// TestRemove: remove deletes the device and its entries, and, done, has
// nothing to do.
func TestRemove(t *testing.T) {
	ns := nstest.New(t)
	h := handle(t, ns)
	sync(t, h, spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24"))
	changes, err := tunnel.Remove(h)
	if want := "delete vxlan device podroutes-vx (no peer goes through the tunnel)"; err != nil || strings.Join(lines(changes), "\n") != want {
		t.Errorf("remove: %q, %v; want %q", lines(changes), err, want)
	}
	if out := ns.IP(t, "link", "show"); strings.Contains(out, "podroutes") {
		t.Errorf("after remove:\n%s", out)
	}
	if out := ns.IP(t, "neigh", "show", "nud", "all"); strings.Contains(out, "10.200.1.0") {
		t.Errorf("a neighbour entry is left:\n%s", out)
	}
	if changes, err := tunnel.Remove(h); err != nil || len(changes) != 0 {
		t.Errorf("remove again: %q, %v; want nothing to do", lines(changes), err)
	}
}

// TestApplyErrors: a change that fails says which, with the kernel's
// error, and leaves what the next apply takes: a device the kernel
// refuses is not created, under either name.
func TestApplyErrors(t *testing.T) {
	ns := nstest.New(t)
	h := handle(t, ns)
	s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24")
	changes, err := diff(t, h, s)
	if err != nil {
		t.Fatal(err)
	}
	err = tunnel.Apply(h, changes[1:]) // the entries, without the device
	if want := "add fdb " + mac("10.241.0.21") + " dst 10.241.0.21 dev podroutes-vx: no link podroutes-vx"; err == nil || err.Error() != want {
		t.Errorf("entries without the device: %v, want %q", err, want)
	}
	s.MTU = 65536 // above the largest the kernel takes
	if changes, err = diff(t, h, s); err != nil {
		t.Fatal(err)
	}
	err = tunnel.Apply(h, changes)
	if !errors.Is(err, unix.EINVAL) || !strings.HasPrefix(err.Error(), "create vxlan device podroutes-vx ") {
		t.Errorf("an MTU the kernel refuses: %v, want EINVAL, creating the device", err)
	}
	if o, err := tunnel.Read(h); err != nil || o.Device != nil || o.Unfinished != nil {
		t.Errorf("after a refused creation: %+v, %v; want no device", o, err)
	}
}

// TestApplyBatch: ApplyBatch hands batch the entries in runs, the
// additions at once and then the deletions, never one request each; a
// deletion of an entry gone already is no failure; a failed entry is
// named.
func TestApplyBatch(t *testing.T) {
	ns := nstest.New(t)
	h := handle(t, ns)
	var runs []string
	var fail func(set bool, i int) error
	batch := func(set bool, entries []netlink.Neigh) []error {
		runs = append(runs, fmt.Sprintf("set %v: %d", set, len(entries)))
		errs := make([]error, len(entries))
		for i := range entries {
			if fail != nil {
				errs[i] = fail(set, i)
			}
			if errs[i] != nil {
				continue
			}
			if set {
				errs[i] = h.NeighSet(&entries[i])
			} else {
				errs[i] = h.NeighDel(&entries[i])
			}
		}
		return errs
	}
	s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24", "fd00:200:1::/64")
	s.Peers = append(s.Peers, spec("10.240.0.20", "10.241.0.22", "10.200.2.0/24").Peers...)
	apply := func(changes []tunnel.Change) error { return tunnel.ApplyBatch(h, changes, batch) }
	if got := syncWith(t, h, s, apply); len(got) != 6 || strings.Join(runs, "; ") != "set true: 5" {
		t.Errorf("creation: %q in runs %q, want the device then 5 entries in one run", got, runs)
	}
	runs = nil
	run(t, ns, "neigh add 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx nud permanent")
	run(t, ns, "bridge fdb append 02:00:00:00:00:09 dev podroutes-vx dst 10.241.0.99")
	run(t, ns, "neigh del 10.200.1.0 dev podroutes-vx")
	run(t, ns, "bridge fdb del "+mac("10.241.0.22")+" dev podroutes-vx dst 10.241.0.22")
	if got := syncWith(t, h, s, apply); len(got) != 4 || strings.Join(runs, "; ") != "set true: 2; set false: 2" {
		t.Errorf("repair: %q in runs %q, want 2 additions then 2 deletions", got, runs)
	}
	run(t, ns, "neigh add 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx nud permanent")
	changes, err := diff(t, h, s)
	if err != nil {
		t.Fatal(err)
	}
	fail = func(set bool, i int) error { return unix.ENOENT }
	if err := apply(changes); err != nil {
		t.Errorf("deleting an entry gone already: %v", err)
	}
	run(t, ns, "neigh del 10.200.1.0 dev podroutes-vx")
	run(t, ns, "neigh del 10.200.2.0 dev podroutes-vx")
	if changes, err = diff(t, h, s); err != nil {
		t.Fatal(err)
	}
	fail = func(set bool, i int) error {
		if i == 1 {
			return unix.EPERM
		}
		return nil
	}
	if err := apply(changes); !errors.Is(err, unix.EPERM) || err.Error() != "add neighbour 10.200.2.0 lladdr "+mac("10.241.0.22")+" dev podroutes-vx: operation not permitted" {
		t.Errorf("the second entry of a run refused: %v", err)
	}
}
