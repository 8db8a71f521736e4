package watch_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/route"
)

// host is a namespace like a lab node (eth0 10.240.0.10/24, towards a peer
// namespace), with podroutes watching it.
type host struct {
	ns *nstest.NS
	// peer is node-1, 10.240.0.21/24 on its eth0
	peer *nstest.NS
	h    *netlink.Handle // the test's own view of the namespace
	k    *counting
	// run is the Kernel watch.Run gets: k, unless a test wraps it.
	run watch.Kernel
	log *logtest.Lines
	sys *statuses
}

// newHost sets up the namespaces; watch starts it.
func newHost(t *testing.T) *host {
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.240.0.10/24", "dev", "eth0")
	peer.IP(t, "addr", "add", "10.240.0.21/24", "dev", "eth0")
	h := hostOn(t, ns)
	h.peer = peer
	return h
}

// hostOn is the host of namespace ns, its Kernel open; watch starts it.
func hostOn(t *testing.T, ns *nstest.NS) *host {
	h, err := netlink.NewHandleAt(ns.Handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	k := nstest.Open(t, ns, kernel.Open)
	t.Cleanup(k.Close)
	c := &counting{Kernel: k}
	return &host{ns: ns, h: h, k: c, run: c, log: &logtest.Lines{T: t}, sys: &statuses{c: make(chan string, 1000)}}
}

// twoRoutes is the config: routes to node-1's and node-2's pods.
func twoRoutes(gw2 string) config.Config {
	return config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
		{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.240.0.21"), Peer: "node-1"},
		{Destination: netip.MustParsePrefix("10.200.2.0/24"), Gateway: netip.MustParseAddr(gw2), Peer: "node-2"},
	}}
}

// watch runs watch.Run until the test ends, and waits for READY.
func (h *host) watch(t *testing.T, cfg config.Config) { h.watchWith(t, cfg, watch.Options{}) }

// watchWith is watch with options, of which it sets Log and Notify.
func (h *host) watchWith(t *testing.T, cfg config.Config, o watch.Options) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	o.Log, o.Notify = h.log, h.sys
	go func() {
		done <- watch.Run(ctx, h.run, cfg, o)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch.Run: %v", err)
		}
	})
	h.sys.wait(t, "READY=1")
}

// ours lists podroutes' routes in the main table, as `ip route` would.
func (h *host) ours(t *testing.T) []string {
	t.Helper()
	rs, err := h.h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: netlink.RouteProtocol(route.Owner)},
		netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s via %s", r.Dst, r.Gw))
	}
	return out
}

// restored waits until podroutes' routes are want, and returns how long
// that took since start; it fails the test after nstest.Patience.
func (h *host) restored(t *testing.T, start time.Time, want ...string) time.Duration {
	t.Helper()
	for {
		got := h.ours(t)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return time.Since(start)
		}
		if time.Since(start) > nstest.Patience {
			t.Fatalf("after %s podroutes' routes are %q, want %q", time.Since(start), got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// quiet fails the test if podroutes writes anything for a while: its own
// writes' events must not start a loop.
func (h *host) quiet(t *testing.T) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // the passes after the restore
	before := h.k.writes.Load()
	time.Sleep(300 * time.Millisecond)
	if n := h.k.writes.Load() - before; n != 0 {
		t.Errorf("%d writes with nothing to do", n)
	}
}

// carrier waits until eth0 is operationally up: the kernel says so
// (linkwatch) after the link is set up, up to a second later.
func (h *host) carrier(t *testing.T) {
	t.Helper()
	for start := time.Now(); !strings.Contains(h.ns.IP(t, "-o", "link", "show", "eth0"), "state UP"); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("eth0 not operationally up 5 s after it was set up: %s", h.ns.IP(t, "-o", "link", "show", "eth0"))
		}
	}
}

// counting is a watch.Kernel that counts its writes.
type counting struct {
	*kernel.Kernel
	writes atomic.Int64
}

func (c *counting) Add(r reconcile.Route) error     { c.writes.Add(1); return c.Kernel.Add(r) }
func (c *counting) Replace(r reconcile.Route) error { c.writes.Add(1); return c.Kernel.Replace(r) }
func (c *counting) Delete(r reconcile.Route) error  { c.writes.Add(1); return c.Kernel.Delete(r) }

// WriteBatch is the path Execute takes for every write: a kernel.Kernel is
// a reconcile.Batcher.
func (c *counting) WriteBatch(ws []reconcile.Write, log logs.Logger) []error {
	c.writes.Add(int64(len(ws)))
	return c.Kernel.WriteBatch(ws, log)
}

// routeDeaf is a watch.Kernel whose route events watch cannot act on, as
// if they had been lost: the kernel observes them, then they become a
// nexthop event, which no route depends on.
type routeDeaf struct{ *counting }

func (d routeDeaf) Observe(ev *kernel.Event) {
	d.counting.Observe(ev)
	if ev.Kind == kernel.RouteChanged {
		*ev = kernel.Event{Kind: kernel.NexthopChanged}
	}
}

// statuses is a watch.Notifier that sends each notification on c.
type statuses struct{ c chan string }

func (s *statuses) Ready(status string) error  { return s.send("READY=1 " + status) }
func (s *statuses) Status(status string) error { return s.send(status) }
func (s *statuses) Watchdog() error            { return nil }

// wait returns the first notification containing want, within
// nstest.Patience.
func (s *statuses) wait(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(nstest.Patience)
	var seen []string
	for {
		select {
		case got := <-s.c:
			if strings.Contains(got, want) {
				return got
			}
			seen = append(seen, got)
		case <-timeout:
			t.Fatalf("no notification containing %q; got:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// send never blocks the watcher: a test that reads no statuses drops them.
func (s *statuses) send(status string) error {
	select {
	case s.c <- status:
	default:
	}
	return nil
}
