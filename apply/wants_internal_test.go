package apply

import (
	"net/netip"
	"testing"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// TestResolveAsVia: resolve, which asks gateway.Via only about the links
// with an address of the gateway's family, finds the link Via finds among
// all of them, for either family, a link down or ambiguous.
func TestResolveAsVia(t *testing.T) {
	p := netip.MustParsePrefix
	links := []gateway.Link{
		{Name: "eth0", Up: true, Prefixes: []netip.Prefix{p("10.240.0.10/24"), p("fe80::1/64")}},
		{Name: "eth1", Up: true, Prefixes: []netip.Prefix{p("fd00:240::10/64")}},
		{Name: "eth2", Up: false, Prefixes: []netip.Prefix{p("10.241.0.10/24")}},
		{Name: "br0", Up: true, Prefixes: []netip.Prefix{p("10.242.0.10/24")}},
		{Name: "br1", Up: true, Prefixes: []netip.Prefix{p("10.242.0.11/24"), p("fd00:243::10/64")}},
		{Name: "veth0", Up: true, Prefixes: []netip.Prefix{p("fe80::2/64")}},
	}
	var want []reconcile.Want
	for _, gw := range []string{"10.240.0.21", "fd00:240::21", "10.241.0.21", "10.242.0.21", "fd00:243::21", "fe80::99", "10.99.0.1"} {
		want = append(want, reconcile.Want{Route: reconcile.Route{Dst: p("10.200.1.0/24"), Gw: netip.MustParseAddr(gw)}})
	}
	resolve(want, links, nil)
	for _, w := range want {
		if via, _ := gateway.Via(links, w.Route.Gw); w.Link != via {
			t.Errorf("gateway %s: link %q, want %q", w.Route.Gw, w.Link, via)
		}
	}
	if want[0].Link != "eth0" || want[1].Link != "eth1" {
		t.Errorf("links %q and %q, want eth0 and eth1", want[0].Link, want[1].Link)
	}
}
