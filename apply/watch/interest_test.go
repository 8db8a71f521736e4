package watch

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/route"
)

// TestInterest: a route event matters for a wanted destination, an
// address event for the destinations whose gateway its prefix holds, a
// link event for every destination when the link has such an address;
// a pod's veth and another owner's route elsewhere matter not at all.
func TestInterest(t *testing.T) {
	cfgRoute := func(dst, gw string) config.Route {
		return config.Route{Destination: netip.MustParsePrefix(dst), Gateway: netip.MustParseAddr(gw)}
	}
	in := newInterest(config.Config{Routes: []config.Route{
		cfgRoute("10.200.1.0/24", "10.240.0.21"),
		cfgRoute("10.200.2.0/24", "10.240.0.22"),
		cfgRoute("10.200.3.0/24", "10.240.0.22"),
		cfgRoute("10.200.4.0/24", "10.241.0.24"),
	}})
	in.watchLinks([]gateway.Link{
		{Name: "lo", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
		{Name: "eth0", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.240.0.10/24"), netip.MustParsePrefix("fe80::1/64")}},
		{Name: "veth7", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("fe80::7/64")}},
	})
	for _, c := range []struct {
		ev   kernel.Event
		want string
	}{
		{kernel.Event{Kind: kernel.RouteChanged, Deleted: true, Route: rroute("10.200.2.0/24")}, "[10.200.2.0/24]"},
		{kernel.Event{Kind: kernel.RouteChanged, Route: rroute("11.0.0.1/32")}, "[]"},
		{kernel.Event{Kind: kernel.AddrChanged, Name: "eth0", Prefix: netip.MustParsePrefix("10.240.0.10/24")}, "[10.200.1.0/24 10.200.2.0/24 10.200.3.0/24]"},
		{kernel.Event{Kind: kernel.AddrChanged, Name: "eth1", Prefix: netip.MustParsePrefix("10.241.0.10/30")}, "[]"},
		{kernel.Event{Kind: kernel.AddrChanged, Name: "eth1", Prefix: netip.MustParsePrefix("10.241.0.10/24")}, "[10.200.4.0/24]"},
		{kernel.Event{Kind: kernel.LinkChanged, Name: "eth0"}, "[10.200.1.0/24 10.200.2.0/24 10.200.3.0/24 10.200.4.0/24]"},
		{kernel.Event{Kind: kernel.LinkChanged, Name: "veth7"}, "[]"},
		{kernel.Event{Kind: kernel.LinkChanged, Name: "lo"}, "[]"},
	} {
		dsts, full := in.dirty(c.ev)
		dsts = slices.Clone(dsts) // a link's are the interest's own
		slices.SortFunc(dsts, route.Key.Compare)
		if got := fmt.Sprint(dsts); got != c.want || full {
			t.Errorf("%s: %s (full %v), want %s", c.ev, got, full, c.want)
		}
	}
	if _, full := in.dirty(kernel.Event{Kind: kernel.EventsLost}); !full {
		t.Error("lost events: no full pass")
	}
	// The link event of a flap costs a look-up, not a list of the config.
	if n := testing.AllocsPerRun(100, func() { in.dirty(kernel.Event{Kind: kernel.LinkChanged, Name: "eth0"}) }); n != 0 {
		t.Errorf("a link event allocates %v times, want 0", n)
	}
}

func rroute(dst string) reconcile.Route { return reconcile.Route{Dst: netip.MustParsePrefix(dst)} }

// TestInterestTunneled: with the config tunneled, what can move a peer
// between the tunnel and a direct route, or break the tunnel, takes a full
// pass: the device's link and entries (not another link's), this host's
// node address, an address or a link that reaches a gateway. A route
// event stays a heal; a pod's veth stays nothing.
func TestInterestTunneled(t *testing.T) {
	in := newInterest(config.Config{OffLink: config.OffLinkVXLAN, Address: netip.MustParseAddr("10.240.0.20"), Routes: []config.Route{
		{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.241.0.21")},
		{Destination: netip.MustParsePrefix("10.200.2.0/24"), Gateway: netip.MustParseAddr("10.240.0.22")},
	}})
	in.watchLinks([]gateway.Link{
		{Name: "eth0", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.240.0.20/24")}},
		{Name: "veth7", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("fe80::7/64")}},
	})
	for _, c := range []struct {
		ev   kernel.Event
		full bool
		keys int
	}{
		{kernel.Event{Kind: kernel.NeighChanged, Deleted: true, Name: "podroutes-vx"}, true, 0},
		{kernel.Event{Kind: kernel.NeighChanged, Name: "cnio0"}, false, 0},
		{kernel.Event{Kind: kernel.LinkChanged, Deleted: true, Name: "podroutes-vx"}, true, 0},
		{kernel.Event{Kind: kernel.LinkChanged, Name: "eth0"}, true, 0},
		{kernel.Event{Kind: kernel.LinkChanged, Name: "veth7"}, false, 0},
		{kernel.Event{Kind: kernel.AddrChanged, Name: "br0", Prefix: netip.MustParsePrefix("10.240.0.20/32")}, true, 0},
		{kernel.Event{Kind: kernel.AddrChanged, Name: "eth0", Prefix: netip.MustParsePrefix("10.241.0.99/24")}, true, 0},
		{kernel.Event{Kind: kernel.AddrChanged, Name: "veth7", Prefix: netip.MustParsePrefix("fe80::8/64")}, false, 0},
		{kernel.Event{Kind: kernel.RouteChanged, Deleted: true, Route: rroute("10.200.1.0/24")}, false, 1},
	} {
		keys, full := in.dirty(c.ev)
		if full != c.full || len(keys) != c.keys {
			t.Errorf("%s: %d keys, full %v; want %d, %v", c.ev, len(keys), full, c.keys, c.full)
		}
	}
}
