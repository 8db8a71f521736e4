package watch_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// tunneledHost is node-0 (10.240.0.20) of a lab of two segments joined by
// a router, watched with offLink vxlan: node-1 (10.241.0.21) is on the
// other segment, node-2 (10.240.0.22) on node-0's.
func tunneledHost(t *testing.T) (*host, config.Config) {
	lab := nstest.NewRouted(t, []string{"10.240.0.0/24"}, []string{"10.241.0.0/24"})
	ns := lab.Host(t, 0, "10.240.0.20")
	h, err := netlink.NewHandleAt(ns.Handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	k := nstest.Open(t, ns, kernel.Open)
	t.Cleanup(k.Close)
	c := &counting{Kernel: k}
	cfg := twoRoutes("10.240.0.22")
	cfg.Routes[0].Gateway = netip.MustParseAddr("10.241.0.21")
	cfg.OffLink, cfg.Address = config.OffLinkVXLAN, netip.MustParseAddr("10.240.0.20")
	return &host{ns: ns, h: h, k: c, run: c, log: &logtest.Lines{T: t}, sys: &statuses{c: make(chan string, 1000)}}, cfg
}

var (
	node1Tunneled = "10.200.1.0/24 via 10.200.1.0"
	node1Direct   = "10.200.1.0/24 via 10.241.0.21"
	node2Direct   = "10.200.2.0/24 via 10.240.0.22"
	node2Tunneled = "10.200.2.0/24 via 10.200.2.0"
)

// TestTunnelHealed: watch makes the tunnel for the off-link peer and puts
// back what is taken from it: the device deleted, the FDB entry or the
// neighbour entry deleted, and a link flap of the uplink; each repair is
// timed, and the watcher is quiet after.
func TestTunnelHealed(t *testing.T) {
	h, cfg := tunneledHost(t)
	h.watch(t, cfg)
	h.restored(t, time.Now(), node1Tunneled, node2Direct)
	entries := func() string {
		return h.ns.IP(t, "neigh", "show", "dev", tunnel.Name, "nud", "permanent") + "|" +
			h.ns.Bridge(t, "fdb", "show", "dev", tunnel.Name)
	}
	want := entries()
	if !strings.Contains(want, "10.200.1.0 lladdr "+tunnel.MAC(netip.MustParseAddr("10.241.0.21")).String()) ||
		!strings.Contains(want, "dst 10.241.0.21") {
		t.Fatalf("the tunnel's entries: %s", want)
	}
	repaired := func(what string, start time.Time) {
		t.Helper()
		h.restored(t, start, node1Tunneled, node2Direct)
		for entries() != want {
			if time.Since(start) > nstest.Patience {
				t.Fatalf("after %s: entries %q, want %q", what, entries(), want)
			}
			time.Sleep(time.Millisecond)
		}
		nstest.Timed(t, what, time.Since(start))
		h.quiet(t)
	}
	h.quiet(t)

	start := time.Now()
	h.ns.IP(t, "link", "del", tunnel.Name)
	repaired("tunnel device deleted", start)

	start = time.Now()
	h.ns.Bridge(t, "fdb", "del", tunnel.MAC(netip.MustParseAddr("10.241.0.21")).String(), "dev", tunnel.Name, "dst", "10.241.0.21")
	repaired("fdb entry deleted", start)

	start = time.Now()
	h.ns.IP(t, "neigh", "del", "10.200.1.0", "dev", tunnel.Name)
	repaired("neighbour entry deleted", start)

	h.ns.IP(t, "link", "set", "eth0", "down")
	start = time.Now()
	h.ns.IP(t, "link", "set", "eth0", "up")
	repaired("uplink down and up", start)
}

// TestPeerMovesBetweenPaths: a peer whose node address comes onto one of
// this host's links goes direct, and back through the tunnel when it
// leaves; a peer re-addressed onto the other segment (a config reload)
// goes through the tunnel. Each switch is timed.
func TestPeerMovesBetweenPaths(t *testing.T) {
	h, cfg := tunneledHost(t)
	moved := cfg
	moved.Routes = append([]config.Route(nil), cfg.Routes...)
	moved.Routes[1].Gateway = netip.MustParseAddr("10.241.0.22")
	reload := make(chan struct{})
	h.watchWith(t, cfg, watch.Options{Reload: reload, Load: func() (config.Config, error) { return moved, nil }})
	h.restored(t, time.Now(), node1Tunneled, node2Direct)

	// An address on node-1's subnet makes it on-link to this host.
	start := time.Now()
	h.ns.IP(t, "addr", "add", "10.241.0.99/24", "dev", "eth0")
	nstest.Timed(t, "peer on-link: tunnel to direct", h.restored(t, start, node1Direct, node2Direct))
	start = time.Now()
	h.ns.IP(t, "addr", "del", "10.241.0.99/24", "dev", "eth0")
	nstest.Timed(t, "peer off-link: direct to tunnel", h.restored(t, start, node1Tunneled, node2Direct))

	start = time.Now()
	reload <- struct{}{}
	nstest.Timed(t, "peer re-addressed across segments", h.restored(t, start, node1Tunneled, node2Tunneled))
	h.quiet(t)
}
