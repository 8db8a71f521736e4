package tunnel_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/tunnel"
)

var (
	addr   = netip.MustParseAddr
	prefix = netip.MustParsePrefix
)

// TestMAC: every host derives the same MAC from a node address, today and
// on every later release (golden values, also computed by hand with
// Python's hashlib); locally administered and unicast; one rule for both
// families.
func TestMAC(t *testing.T) {
	for _, c := range []struct{ node, mac string }{
		{"10.240.0.20", "02:5c:cb:80:e4:cf"},
		{"10.241.0.21", "02:fa:20:aa:f4:d1"},
		{"fd00:240::20", "02:de:2f:69:ad:1b"},
		{"::ffff:10.240.0.20", "02:5c:cb:80:e4:cf"},
	} {
		if got := tunnel.MAC(addr(c.node)).String(); got != c.mac {
			t.Errorf("MAC(%s) = %s, want %s", c.node, got, c.mac)
		}
	}
	seen := map[string]netip.Addr{}
	for i := range 1000 {
		a := netip.AddrFrom4([4]byte{10, 240, byte(i >> 8), byte(i)})
		m := tunnel.MAC(a)
		if len(m) != 6 || m[0] != 0x02 {
			t.Fatalf("MAC(%s) = %s: want 6 bytes, locally administered unicast (02:...)", a, m)
		}
		if other, ok := seen[m.String()]; ok {
			t.Fatalf("MAC(%s) = MAC(%s)", a, other)
		}
		seen[m.String()] = a
	}
}

func TestOverheadMTUGateway(t *testing.T) {
	for _, c := range []struct {
		underlay      string
		overhead, mtu int
	}{{"10.240.0.20", 50, 1450}, {"fd00:240::20", 70, 1430}} {
		if got := tunnel.Overhead(addr(c.underlay)); got != c.overhead {
			t.Errorf("Overhead(%s) = %d, want %d", c.underlay, got, c.overhead)
		}
		if got := tunnel.MTU(addr(c.underlay), 1500); got != c.mtu {
			t.Errorf("MTU(%s, 1500) = %d, want %d", c.underlay, got, c.mtu)
		}
	}
	for dst, gw := range map[string]string{
		"10.200.1.0/24":   "10.200.1.0",
		"10.200.1.7/24":   "10.200.1.0",
		"10.200.1.7/32":   "10.200.1.7",
		"fd00:200:1::/64": "fd00:200:1::",
	} {
		if got := tunnel.Gateway(prefix(dst)); got != addr(gw) {
			t.Errorf("Gateway(%s) = %s, want %s", dst, got, gw)
		}
	}
}

// wanted is the device spec wants, as read.
func wanted(s tunnel.Spec) *tunnel.Device {
	return &tunnel.Device{Name: tunnel.Name, Index: 7, Kind: "vxlan", Alias: tunnel.Alias, VNI: tunnel.VNI,
		Port: tunnel.Port, Local: s.Local, MAC: tunnel.MAC(s.Local), MTU: s.MTU, Up: true}
}

// inPlace is what reading finds once s is applied.
func inPlace(s tunnel.Spec) tunnel.Observed {
	o := tunnel.Observed{Device: wanted(s)}
	nodes := map[netip.Addr]bool{}
	for _, p := range s.Peers {
		o.Neighbours = append(o.Neighbours, tunnel.Neighbour{Inner: p.Inner, MAC: tunnel.MAC(p.Node)})
		if !nodes[p.Node] {
			o.FDB = append(o.FDB, tunnel.FDBEntry{MAC: tunnel.MAC(p.Node), Dst: p.Node})
		}
		nodes[p.Node] = true
	}
	return o
}

func plan(t *testing.T, o tunnel.Observed, s tunnel.Spec) string {
	t.Helper()
	changes, err := tunnel.Diff(o, s)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines(changes), "\n")
}

// TestDiffOrder: the device first, then additions (FDB, then neighbours,
// each sorted), then deletions; repeated peers once.
func TestDiffOrder(t *testing.T) {
	s := spec("10.240.0.20", "10.241.0.21", "fd00:200:1::/64", "10.200.1.0/24", "10.200.1.0/24")
	s.Peers = append(s.Peers, spec("10.240.0.20", "10.241.0.5", "10.200.5.0/24").Peers...)
	o := inPlace(s)
	if got := plan(t, o, s); got != "" {
		t.Fatalf("in place, plan:\n%s", got)
	}
	o.Device.MTU, o.Device.Up = 1400, false
	o.Device.MAC = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	o.Neighbours = append(o.Neighbours[1:], tunnel.Neighbour{Inner: addr("10.200.9.0"), MAC: net.HardwareAddr{2, 0, 0, 0, 0, 9}})
	o.FDB = []tunnel.FDBEntry{
		{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 9}, Dst: addr("10.241.0.9")},
		{MAC: tunnel.MAC(addr("10.241.0.5")), Dst: addr("10.241.0.5")},
		{MAC: tunnel.MAC(addr("10.241.0.21")), Dst: addr("10.241.0.6")}, // replaced, not deleted
	}
	b := mac("10.241.0.21")
	want := strings.Join([]string{
		"set address " + mac("10.240.0.20") + " dev podroutes-vx",
		"set mtu 1450 dev podroutes-vx",
		"set up dev podroutes-vx",
		"add fdb " + b + " dst 10.241.0.21 dev podroutes-vx",
		"add neighbour fd00:200:1:: lladdr " + b + " dev podroutes-vx",
		"delete neighbour 10.200.9.0 lladdr 02:00:00:00:00:09 dev podroutes-vx",
		"delete fdb 02:00:00:00:00:09 dst 10.241.0.9 dev podroutes-vx",
	}, "\n")
	if got := plan(t, o, s); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	st, err := tunnel.Check(o, s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Device != tunnel.Differs || strings.Join(st.Differs, "; ") != "address 02:00:00:00:00:01, want "+mac("10.240.0.20")+"; mtu 1400, want 1450; down" || len(st.Stale) != 2 || st.InPlace() {
		t.Errorf("check: %+v", st)
	}
	for _, p := range st.Peers {
		if p.Neighbour != (p.Inner != addr("fd00:200:1::")) || p.FDB != (p.Node == addr("10.241.0.5")) {
			t.Errorf("check: peer %+v", p)
		}
	}
}

// TestDiffDevice: what Diff does with the device itself, for each state
// it may be found in.
func TestDiffDevice(t *testing.T) {
	s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24")
	veth := &tunnel.Device{Name: tunnel.Name, Index: 3, Kind: "veth"}
	unaliased := wanted(s)
	unaliased.Alias = ""
	staging := wanted(s)
	staging.Name, staging.Alias = "podroutes-vxnew", ""
	otherVNI := wanted(s)
	otherVNI.VNI = 1
	create := "create vxlan device podroutes-vx vni 157 local 10.240.0.20 mtu 1450\n" +
		"add fdb " + mac("10.241.0.21") + " dst 10.241.0.21 dev podroutes-vx\n" +
		"add neighbour 10.200.1.0 lladdr " + mac("10.241.0.21") + " dev podroutes-vx"
	for _, c := range []struct {
		name    string
		o       tunnel.Observed
		s       tunnel.Spec
		plan    string
		foreign bool
	}{
		{"absent", tunnel.Observed{}, s, create, false},
		{"absent, none wanted", tunnel.Observed{}, tunnel.Spec{}, "", false},
		{"ours, none wanted", inPlace(s), tunnel.Spec{}, "delete vxlan device podroutes-vx (no peer goes through the tunnel)", false},
		{"a veth", tunnel.Observed{Device: veth}, s, "", true},
		{"a veth, none wanted", tunnel.Observed{Device: veth}, tunnel.Spec{}, "", false},
		{"without the alias", tunnel.Observed{Device: unaliased}, s, "", true},
		{"unfinished", tunnel.Observed{Unfinished: staging}, s, "delete vxlan device podroutes-vxnew (a creation left unfinished)\n" + create, false},
		{"unfinished, none wanted", tunnel.Observed{Unfinished: staging}, tunnel.Spec{}, "delete vxlan device podroutes-vxnew (a creation left unfinished)", false},
		{"a veth of the staging name", tunnel.Observed{Unfinished: &tunnel.Device{Name: "podroutes-vxnew", Kind: "veth"}}, s, "", true},
		{"another vni", tunnel.Observed{Device: otherVNI}, s, "delete vxlan device podroutes-vx (vni 1, want 157: set only at creation)\n" + create, false},
	} {
		changes, err := tunnel.Diff(c.o, c.s)
		var fe *tunnel.ForeignError
		if got := errors.As(err, &fe); got != c.foreign || (err != nil && !got) {
			t.Errorf("%s: %v, want foreign %v", c.name, err, c.foreign)
		}
		if got := strings.Join(lines(changes), "\n"); got != c.plan {
			t.Errorf("%s: plan:\n%s\nwant:\n%s", c.name, got, c.plan)
		}
	}
}

// TestSpecRefused: a Spec that cannot be built is refused, by name.
func TestSpecRefused(t *testing.T) {
	s := spec("10.240.0.20", "10.241.0.21", "10.200.1.0/24")
	for _, c := range []struct {
		name string
		s    tunnel.Spec
		want string
	}{
		{"node of the other family", func() tunnel.Spec {
			s := s
			s.Peers = append(s.Peers, spec("10.240.0.20", "fd00:241::22", "10.200.2.0/24").Peers...)
			return s
		}(), "tunnel peers 10.200.2.0 (node fd00:241::22): the node address is IPv6, this host's (10.240.0.20) IPv4: the tunnel cannot reach them"},
		{"node is this host", spec("10.240.0.20", "10.240.0.20", "10.200.1.0/24"), "tunnel peer 10.200.1.0 (node 10.240.0.20): the node is this host"},
		{"next hop of two nodes", func() tunnel.Spec {
			s := s
			s.Peers = append(s.Peers, spec("10.240.0.20", "10.241.0.22", "10.200.1.0/24").Peers...)
			return s
		}(), "tunnel next hop 10.200.1.0 claimed by nodes 10.241.0.21 and 10.241.0.22"},
		{"no MTU", tunnel.Spec{Local: s.Local, Peers: s.Peers}, "tunnel MTU 0 is below 68"},
		{"IPv6 below its MTU", func() tunnel.Spec {
			s := spec("10.240.0.20", "10.241.0.21", "fd00:200:1::/64")
			s.MTU = 1279
			return s
		}(), "tunnel peer fd00:200:1:: (node 10.241.0.21): IPv6 needs an MTU of 1280, the tunnel's is 1279"},
		{"no local address", tunnel.Spec{MTU: 1450, Peers: s.Peers}, "tunnel for 1 peer has no local node address"},
	} {
		_, err := tunnel.Diff(tunnel.Observed{}, c.s)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if _, cerr := tunnel.Check(tunnel.Observed{}, c.s); cerr == nil {
			t.Errorf("%s: check took it", c.name)
		}
	}
	var fe *tunnel.FamilyError
	s.Peers = append(s.Peers, spec("10.240.0.20", "fd00:241::22", "10.200.2.0/24").Peers...)
	if _, err := tunnel.Diff(tunnel.Observed{}, s); !errors.As(err, &fe) || len(fe.Peers) != 1 {
		t.Errorf("a node of the other family: %v, want a *FamilyError naming it", err)
	}
}

// BenchmarkDiff: 5000 peers (2500 nodes, two subnets each), in place.
func BenchmarkDiff(b *testing.B) {
	s := tunnel.Spec{Local: addr("10.240.0.20"), MTU: 1450}
	for i := range 2500 {
		node := netip.AddrFrom4([4]byte{10, 241, byte(i >> 8), byte(i)})
		for _, f := range []string{"10.%d.%d.0/24", "10.%d.%d.128/25"} {
			p := prefix(fmt.Sprintf(f, 100+i/256, i%256))
			s.Peers = append(s.Peers, tunnel.Peer{Inner: tunnel.Gateway(p), Node: node})
		}
	}
	o := inPlace(s)
	b.ReportAllocs()
	for b.Loop() {
		if changes, err := tunnel.Diff(o, s); err != nil || len(changes) != 0 {
			b.Fatal(changes, err)
		}
	}
}
