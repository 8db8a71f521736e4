package nstest

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"testing"
)

// Routed is a lab of network segments, each a Switch, joined by a router
// namespace that forwards IPv4 and IPv6 between them: hosts on different
// segments reach each other only through the router, never on-link.
type Routed struct {
	Router   *NS
	Segments []*Segment
}

// Segment is one L2 segment of a Routed lab: its switch, its subnets and
// the router's address on each (the subnet's first address).
type Segment struct {
	Switch   *NS
	Prefixes []netip.Prefix
	Routers  []netip.Addr
}

// NewRouted builds the segments, each given as its subnets
// ([]string{"10.240.0.0/24", "fd00:240::/64"}), and the router, whose
// port on segment i is "seg<i>".
func NewRouted(t testing.TB, segments ...[]string) *Routed {
	t.Helper()
	r := &Routed{Router: New(t)}
	r.Router.Sysctl(t, "ipv4/ip_forward", "1")
	r.Router.Sysctl(t, "ipv6/conf/all/forwarding", "1")
	for i, prefixes := range segments {
		s := &Segment{Switch: Switch(t)}
		dev := fmt.Sprintf("seg%d", i)
		Plug(t, s.Switch, r.Router, dev)
		for _, p := range prefixes {
			pfx := netip.MustParsePrefix(p)
			gw := pfx.Masked().Addr().Next()
			s.Prefixes = append(s.Prefixes, pfx)
			s.Routers = append(s.Routers, gw)
			r.Router.IP(t, "addr", "add", netip.PrefixFrom(gw, pfx.Bits()).String(), "dev", dev)
		}
		r.Segments = append(r.Segments, s)
	}
	return r
}

// Host is a new namespace whose eth0 is plugged into segment seg, with
// addrs on it and a default route per family via the router. An address
// without a length takes its segment subnet's ("10.240.0.20"); one with a
// length keeps it ("10.240.0.20/32"), and when that leaves the router off
// its subnet the default route is onlink, as on a cloud VM whose address
// is a /32.
func (r *Routed) Host(t testing.TB, seg int, addrs ...string) *NS {
	t.Helper()
	s := r.Segments[seg]
	h := New(t)
	Plug(t, s.Switch, h, "eth0")
	for _, a := range addrs {
		addr, err := netip.ParseAddr(a)
		bits := -1
		if p, perr := netip.ParsePrefix(a); perr == nil {
			addr, bits, err = p.Addr(), p.Bits(), nil
		}
		if err != nil {
			t.Fatalf("host address %q: %v", a, err)
		}
		i := s.subnet(addr)
		if i < 0 {
			t.Fatalf("host address %s is on no subnet of segment %d", a, seg)
		}
		if bits < 0 {
			bits = s.Prefixes[i].Bits()
		}
		pfx := netip.PrefixFrom(addr, bits)
		h.IP(t, "addr", "add", pfx.String(), "dev", "eth0")
		route := []string{"route", "add", "default", "via", s.Routers[i].String(), "dev", "eth0"}
		if !pfx.Contains(s.Routers[i]) {
			route = append(route, "onlink")
		}
		h.IP(t, route...)
	}
	return h
}

// subnet is the index of the segment's subnet holding a, -1 if none.
func (s *Segment) subnet(a netip.Addr) int {
	for i, p := range s.Prefixes {
		if p.Contains(a) {
			return i
		}
	}
	return -1
}

// Ping sends one echo request from namespace from to addr, of packet bytes
// with its IP header (0: ping's default size), fragmentation forbidden,
// and says whether the reply came within a second. A packet too large for
// the path fails, so that a test can pin an MTU exactly.
func Ping(t testing.TB, from *NS, addr string, packet int) error {
	t.Helper()
	args := []string{"netns", "exec", from.Name, Tool(t, "ping", "iputils-ping"), "-c1", "-W1", "-Mdo"}
	if packet > 0 {
		header := 28 // IPv4 and ICMP
		if netip.MustParseAddr(addr).Is6() {
			header = 48
		}
		args = append(args, "-s", strconv.Itoa(packet-header))
	}
	out, err := exec.Command("ip", append(args, addr)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ping %s from %s (%d bytes): %v: %s", addr, from.Name, packet, err, out)
	}
	return nil
}
