package watch

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
)

// Run's logic on a fake host and a fake clock: no root, no wall clock.
// The real kernel's part is proven by the namespace tests (watch_test.go,
// heal_test.go).

var ourRoute = reconcile.Route{Dst: dst, Gw: netip.MustParseAddr("10.240.0.21"), Protocol: 157, Metric: 100}

// deleted is the event of ourRoute deleted by someone else.
var deleted = kernel.Event{Kind: kernel.RouteChanged, Deleted: true, Route: ourRoute}

// TestRunHealsOnSettle: a deleted route's heal starts once the events
// pause for settle, not before; the heal time counts from the event; the
// echo of the heal's own write starts nothing.
func TestRunHealsOnSettle(t *testing.T) {
	h := newFakeHost()
	l := startLoop(t, h, oneRoute(dst), Options{})
	if err := h.Delete(ourRoute); err != nil {
		t.Fatal(err)
	}
	l.send(t, deleted)
	l.none(t, "after a deleted route's event", 1)
	l.clock.Step(settle - time.Millisecond)
	l.none(t, "before the events paused for settle", 1)
	l.clock.Step(time.Millisecond)
	p := l.next(t)
	if !strings.HasPrefix(p.why, "route 10.200.1.0/24 via 10.240.0.21") || p.err != nil || p.healed != settle {
		t.Fatalf("heal: %q, error %v, healed in %s; want the route's event, no error, %s", p.why, p.err, p.healed, settle)
	}
	if !strings.Contains(h.String(), "10.200.1.0/24 via 10.240.0.21") {
		t.Fatalf("not restored:\n%s", h)
	}
	before := h.Writes()
	l.settled(t)
	l.send(t, kernel.Event{Kind: kernel.RouteChanged, Route: ourRoute}) // the heal's own add, heard back
	l.none(t, "after the echo of the heal's own write", 0)
	if h.Writes() != before {
		t.Errorf("%d writes after the echo", h.Writes()-before)
	}
}

// TestRunIgnoresTheRest: events that cannot touch the routes (another
// owner's route elsewhere, a pod's veth, an address on a subnet holding
// no gateway) start no pass.
func TestRunIgnoresTheRest(t *testing.T) {
	h := newFakeHost()
	l := startLoop(t, h, oneRoute(dst), Options{})
	before := h.Writes()
	l.send(t, unrelated,
		kernel.Event{Kind: kernel.LinkChanged, Name: "veth1a2b3c"},
		kernel.Event{Kind: kernel.AddrChanged, Name: "cni0", Prefix: netip.MustParsePrefix("10.200.0.1/24")},
		kernel.Event{Kind: kernel.RouteChanged, Route: reconcile.Route{Dst: netip.MustParsePrefix("10.200.0.0/24"), Dev: "cni0"}})
	l.none(t, "after events of no interest", 0)
	if h.Writes() != before {
		t.Errorf("%d writes", h.Writes()-before)
	}
}

// TestRunBurstIsOnePass: a link flap's stream of events, never pausing
// for settle, makes one pass at the debounce, named after the link.
func TestRunBurstIsOnePass(t *testing.T) {
	h := newFakeHost()
	l := startLoop(t, h, oneRoute(dst), Options{Debounce: 100 * time.Millisecond})
	if err := h.Delete(ourRoute); err != nil {
		t.Fatal(err)
	}
	l.send(t, kernel.Event{Kind: kernel.LinkChanged, Name: "eth0"})
	for range 99 {
		l.clock.Step(time.Millisecond)
		l.send(t, deleted)
	}
	l.none(t, "99 ms into the stream", 1)
	l.clock.Step(time.Millisecond)
	p := l.next(t)
	if p.why != "link eth0 down (and 99 more events)" || p.healed != 100*time.Millisecond {
		t.Fatalf("pass %q healed in %s; want the link named, 100ms", p.why, p.healed)
	}
	l.settled(t)
	l.none(t, "after the burst's pass", 0)
}

// TestRunResync: what no event said (a route deleted unheard) is repaired
// by the periodic resync, at its period; the watchdog pings at its own.
func TestRunResync(t *testing.T) {
	h := newFakeHost()
	l := startLoop(t, h, oneRoute(dst), Options{Resync: time.Minute, Watchdog: 10 * time.Second})
	l.timers = 2 // and the watchdog's ticker
	if got := l.clock.tickers(); !slices.Equal(got, []time.Duration{time.Minute, 10 * time.Second}) {
		t.Fatalf("tickers of periods %v, want the resync's (1m) and the watchdog's (10s)", got)
	}
	if err := h.Delete(ourRoute); err != nil {
		t.Fatal(err)
	}
	l.clock.Step(time.Minute)
	if p := l.next(t); p.why != "periodic resync" || p.res.Added != 1 {
		t.Fatalf("pass %q added %d; want the resync to restore the route", p.why, p.res.Added)
	}
}

// TestRunBacksOff: a failing pass is retried after 1 s, then 2 s, then
// 4 s, never sooner; once it succeeds the problem is said resolved and no
// retry is armed.
func TestRunBacksOff(t *testing.T) {
	h := newFakeHost()
	h.FailWrites(dstKey, syscall.ENOBUFS)
	l := startLoop(t, h, oneRoute(dst), Options{})
	for _, after := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		l.none(t, "after a failure", 1)
		l.clock.Step(after - time.Millisecond)
		l.none(t, "before the retry due after "+after.String(), 1)
		if after == 4*time.Second {
			h.FailWrites(dstKey, nil)
		}
		l.clock.Step(time.Millisecond)
		if p := l.next(t); p.why != "retry" {
			t.Fatalf("pass %q, want the retry", p.why)
		}
		l.settled(t)
	}
	l.none(t, "after the retry succeeded", 0)
	if n := l.log.Count("resolved"); n != 1 {
		t.Errorf("'resolved' logged %d times, want once", n)
	}
	if n := l.log.Count("no buffer space"); n != 1 {
		t.Errorf("the failure logged %d times over three passes, want once", n)
	}
}

// TestRunRepointsAfterAddressMove: the uplink's address moved to a bridge
// (as when a bridge CNI or networkd enslaves the uplink): the route is
// moved to the link that now reaches its gateway.
func TestRunRepointsAfterAddressMove(t *testing.T) {
	h := newFakeHost()
	l := startLoop(t, h, oneRoute(dst), Options{})
	if !strings.Contains(h.String(), "dev eth0") {
		t.Fatalf("after start:\n%s", h)
	}
	addr := netip.MustParsePrefix("10.240.0.10/24")
	h.setLinks(gateway.Link{Name: "eth0", Up: true}, gateway.Link{Name: "br0", Up: true, Prefixes: []netip.Prefix{addr}})
	h.SetDev("br0") // the link the kernel now finds the gateway on
	l.send(t, kernel.Event{Kind: kernel.AddrChanged, Deleted: true, Name: "eth0", Prefix: addr},
		kernel.Event{Kind: kernel.AddrChanged, Name: "br0", Prefix: addr})
	l.clock.Step(settle)
	p := l.next(t)
	if p.err != nil || p.res.Replaced != 1 {
		t.Fatalf("pass %q: error %v, replaced %d; want the route moved", p.why, p.err, p.res.Replaced)
	}
	if got := h.String(); got != "10.200.1.0/24 via 10.240.0.21 dev br0 proto podroutes metric 100\n" {
		t.Errorf("after the move:\n%s", got)
	}
}

// TestRunReloadAwaitsAddress: a reload that finds no host with this
// host's addresses (ErrHostUnknown) keeps the old config and loads again
// at each address change, logging the same failure once, until a load
// works; a reload that fails otherwise waits for the next SIGHUP.
func TestRunReloadAwaitsAddress(t *testing.T) {
	h := newFakeHost()
	reload := make(chan struct{})
	moved := netip.MustParsePrefix("10.200.9.0/24")
	unknown := fmt.Errorf("m.txt: which host is this? no host has one of this host's addresses: %w", ErrHostUnknown)
	results := []error{unknown, unknown, nil, errors.New("m.txt:3: route has no gateway")}
	loads := 0
	l := startLoop(t, h, oneRoute(dst), Options{Reload: reload, Load: func() (config.Config, error) {
		err := results[min(loads, len(results)-1)]
		loads++
		return oneRoute(moved), err
	}})
	addr := kernel.Event{Kind: kernel.AddrChanged, Name: "eth0", Prefix: netip.MustParsePrefix("10.240.0.11/24")}
	reloaded := func(want int, what string) {
		t.Helper()
		if loads != want {
			t.Fatalf("%s: %d loads, want %d", what, loads, want)
		}
	}

	reload <- struct{}{}
	l.settled(t)
	reloaded(1, "SIGHUP")
	l.send(t, addr)
	reloaded(2, "an address change after a reload that found no host")
	if got := l.log.Count("keeping the old one; loading it again when this host's addresses change"); got != 1 {
		t.Errorf("the same failure logged %d times, want once:\n%s", got, l.log)
	}
	if !strings.Contains(h.String(), "10.200.1.0/24") || strings.Contains(h.String(), "10.200.9.0/24") {
		t.Fatalf("after the failed reloads:\n%s\nwant the old config's route only", h)
	}

	l.h.events <- addr
	if p := l.next(t); p.why != "config reload" || p.err != nil {
		t.Fatalf("pass %q, %v after the address that names this host; want the config reloaded", p.why, p.err)
	}
	reloaded(3, "the address that names this host")
	if !strings.Contains(h.String(), "10.200.9.0/24") {
		t.Fatalf("after the reload:\n%s\nwant the new config's route", h)
	}
	l.send(t, addr)
	reloaded(3, "an address change after the reload worked")

	reload <- struct{}{}
	l.settled(t)
	l.send(t, addr)
	reloaded(4, "an address change after a reload that failed otherwise")
}

// otherRoute is a second wanted route, to 10.200.2.0/24 via node-2.
var otherRoute = reconcile.Route{Dst: netip.MustParsePrefix("10.200.2.0/24"), Gw: netip.MustParseAddr("10.240.0.22"), Protocol: 157, Metric: 100}

// twoRoutesFake is oneRoute(dst) and otherRoute.
func twoRoutesFake() config.Config {
	cfg := oneRoute(dst)
	cfg.Routes = append(cfg.Routes, config.Route{Destination: otherRoute.Dst, Gateway: otherRoute.Gw})
	return cfg
}

// healOther deletes otherRoute, as another process would, makes its
// writes fail with fail (nil: none), and takes the heal's pass.
func healOther(t *testing.T, l *loop, fail error) pass {
	t.Helper()
	if err := l.h.Delete(otherRoute); err != nil {
		t.Fatal(err)
	}
	l.h.FailWrites(apply.Key(config.Route{Destination: otherRoute.Dst}), fail)
	l.send(t, kernel.Event{Kind: kernel.RouteChanged, Deleted: true, Route: otherRoute})
	l.clock.Step(settle)
	p := l.next(t)
	if !strings.HasPrefix(p.why, "route 10.200.2.0/24") {
		t.Fatalf("pass %q, want the heal of 10.200.2.0/24", p.why)
	}
	l.settled(t)
	return p
}

// TestRunHealKeepsTheRetry: a heal that succeeds, of another route, does
// not call off the retry of a route that failed: it looked at its own.
func TestRunHealKeepsTheRetry(t *testing.T) {
	h := newFakeHost()
	h.FailWrites(dstKey, syscall.ENOBUFS)
	l := startLoop(t, h, twoRoutesFake(), Options{})
	h.FailWrites(dstKey, nil)
	if p := healOther(t, l, nil); p.err != nil {
		t.Fatalf("the heal of the other route: %v", p.err)
	}
	l.none(t, "after the heal", 1)
	l.clock.Step(time.Second - settle)
	if p := l.next(t); p.why != "retry" || p.err != nil || !strings.Contains(h.String(), "10.200.1.0/24") {
		t.Fatalf("pass %q, %v:\n%s\nwant the retry to add 10.200.1.0/24", p.why, p.err, h)
	}
}

// TestRunNewProblemRetriedSoon: a standing failure backs the retry off,
// but a new one, found by a heal, is retried after a second.
func TestRunNewProblemRetriedSoon(t *testing.T) {
	h := newFakeHost()
	h.FailWrites(dstKey, syscall.ENOBUFS)
	l := startLoop(t, h, twoRoutesFake(), Options{})
	for _, after := range []time.Duration{time.Second, 2 * time.Second} {
		l.clock.Step(after)
		if p := l.next(t); p.why != "retry" {
			t.Fatalf("pass %q, want the retry", p.why)
		}
		l.settled(t)
	}
	// The next retry is due in 4 s; a new failure comes.
	if p := healOther(t, l, syscall.EIO); p.err == nil {
		t.Fatal("the heal of the other route did not fail")
	}
	l.clock.Step(time.Second - time.Millisecond)
	l.none(t, "before a second after the new failure", 1)
	l.clock.Step(time.Millisecond)
	if p := l.next(t); p.why != "retry" {
		t.Fatalf("pass %q a second after a new failure, want the retry", p.why)
	}
}
