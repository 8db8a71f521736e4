package watch_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/nstest"
)

var both = []string{"10.200.1.0/24 via 10.240.0.21", "10.200.2.0/24 via 10.240.0.22"}

// TestRestores: routes the kernel drops (link down and up, address removed
// and added again) or someone deletes come back, each within a second, and
// the watcher then writes nothing.
func TestRestores(t *testing.T) {
	h := newHost(t)
	h.watch(t, twoRoutes("10.240.0.22"))
	h.restored(t, time.Now(), both...)

	h.ns.IP(t, "link", "set", "eth0", "down")
	if got := h.ours(t); len(got) != 0 {
		t.Fatalf("the kernel kept %q on a link that went down; the test is wrong", got)
	}
	start := time.Now()
	h.ns.IP(t, "link", "set", "eth0", "up")
	nstest.Timed(t, "link down and up", h.restored(t, start, both...))
	// Named by the link's up, or, when the pass after its down began
	// before the up (the two commands more than the debounce apart, on a
	// loaded machine; CI saw it), by its down.
	h.sys.wait(t, "restored 10.200.1.0/24, 10.200.2.0/24 after link eth0 ")
	// The carrier follows with a link event of its own, up to a second
	// later under load (linkwatch): past quiet, it joined the next burst
	// and named it (CI saw "after link eth0 up" for the deleted route).
	h.carrier(t)
	h.quiet(t)

	start = time.Now()
	dst := &net.IPNet{IP: net.IPv4(10, 200, 1, 0), Mask: net.CIDRMask(24, 32)}
	// Not by gateway: the route may be using a nexthop object.
	if err := h.h.RouteDel(&netlink.Route{Dst: dst, Protocol: 157, Priority: 100}); err != nil {
		t.Fatal(err)
	}
	nstest.Timed(t, "route deleted", h.restored(t, start, both...))
	h.sys.wait(t, "restored 10.200.1.0/24 after route 10.200.1.0/24 via 10.240.0.21 deleted")
	h.quiet(t)

	h.ns.IP(t, "addr", "del", "10.240.0.10/24", "dev", "eth0")
	if got := h.ours(t); len(got) != 0 {
		// Routes through nexthop objects stay while their link is up.
		t.Logf("the kernel kept %q without an address on their gateways' subnet", got)
	}
	start = time.Now()
	h.ns.IP(t, "addr", "add", "10.240.0.10/24", "dev", "eth0")
	nstest.Timed(t, "address removed and added", h.restored(t, start, both...))
	// Where the kernel kept the routes, restored proves nothing of watch:
	// the address event must have started the pass that finds them in
	// place again (their gateways unreachable until then).
	h.sys.wait(t, "2 of 2 routes in place after address 10.240.0.10/24 added")
	h.quiet(t)
}

// heldByStatic is what watch logs of the destination conflicted gives
// another owner.
const heldByStatic = "another owner (static) holds the destination"

// conflicted starts watch on both routes, then lets another owner
// (static) take 10.200.2.0/24, and waits for watch to say so.
func (h *host) conflicted(t *testing.T) {
	h.watch(t, twoRoutes("10.240.0.22"))
	h.restored(t, time.Now(), both...)
	h.ns.IP(t, "route", "replace", "10.200.2.0/24", "via", "10.240.0.99", "proto", "static", "metric", "100")
	h.sys.wait(t, heldByStatic)
}

// TestConflictReportedOnce: a destination another owner takes is reported
// once, however many events follow, and left alone.
func TestConflictReportedOnce(t *testing.T) {
	h := newHost(t)
	h.conflicted(t)
	for range 5 {
		h.ns.IP(t, "route", "del", "10.200.1.0/24")
		h.restored(t, time.Now(), "10.200.1.0/24 via 10.240.0.21")
	}
	h.quiet(t)
	if n := h.log.Count(heldByStatic); n != 1 {
		t.Errorf("the conflict was logged %d times, want once", n)
	}
	if got := h.ns.IP(t, "route", "show", "10.200.2.0/24"); got != "10.200.2.0/24 via 10.240.0.99 dev eth0 proto static metric 100 \n" {
		t.Errorf("the other owner's route became %q", got)
	}
}

// TestProblemsListed: 150 routes whose gateways no link reaches (an
// uplink down) are 151 problems; the watcher logs the first diag.Listed
// and a line counting the rest, once.
func TestProblemsListed(t *testing.T) {
	h := newHost(t)
	cfg := config.Config{Node: "node-0", Metric: 100}
	for i := range 150 {
		cfg.Routes = append(cfg.Routes, config.Route{Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, byte(i), 0}), 24),
			Gateway: netip.AddrFrom4([4]byte{10, 241, 0, byte(i + 1)}), Peer: fmt.Sprintf("node-%d", i)})
	}
	h.watch(t, cfg)
	h.log.Wait(t, "... and 51 more problems (the first 100 are listed)", 5*time.Second)
	h.sys.wait(t, "after retry") // a second pass, 1 s on: the same problems, not logged again
	if n, m := h.log.Count("network is unreachable"), h.log.Count("more problems"); n != diag.Listed-1 || m != 1 {
		t.Errorf("%d routes logged unreachable and %d count lines, want %d and 1 (with the line naming the gateways):\n%s", n, m, diag.Listed-1, h.log)
	}
}

// TestRepointsWhenTheAddressMoves: when the uplink's address moves onto a
// bridge, the routes through the old link carry nothing; watch repoints
// them within a second of the address event, and the pod is reached.
func TestRepointsWhenTheAddressMoves(t *testing.T) {
	h := newHost(t)
	pod := nstest.Pod(t, h.peer, "10.200.1.1", "10.200.1.2/24")
	h.watch(t, twoRoutes("10.240.0.22"))
	h.restored(t, time.Now(), both...)
	if err := nstest.Reach(t, h.ns, pod, "10.200.1.2"); err != nil {
		t.Fatalf("before the move: %v", err)
	}
	start := time.Now()
	nstest.MoveToBridge(t, h.ns, "eth0", "br0", "10.240.0.10/24")
	for !strings.Contains(h.ns.IP(t, "route", "show", "10.200.1.0/24"), "dev br0") {
		if time.Since(start) > nstest.Patience {
			t.Fatalf("after %s the route is still %q", time.Since(start), h.ns.IP(t, "route", "show", "10.200.1.0/24"))
		}
		time.Sleep(time.Millisecond)
	}
	nstest.Timed(t, "address moved onto a bridge", time.Since(start))
	if err := nstest.Reach(t, h.ns, pod, "10.200.1.2"); err != nil {
		t.Errorf("after the move: %v", err)
	}
	h.quiet(t)
}

// TestRestoresWhenTheBridgesPortFlaps: with the uplink's address on a
// bridge, its only port going down takes the bridge's carrier, and the
// kernel then drops the nexthop objects on the bridge (nexthop.c,
// NETDEV_CHANGE without IFF_RUNNING or IFF_LOWER_UP) and the routes that
// use them, though the bridge stays up; watch puts them back, never
// through the nexthops dropped. (The soak found it: a watcher wrote routes
// through the dropped ones, "Nexthop id does not exist", and its host was
// still without them 10 s later.)
func TestRestoresWhenTheBridgesPortFlaps(t *testing.T) {
	h := newHost(t)
	h.watch(t, twoRoutes("10.240.0.22"))
	h.restored(t, time.Now(), both...)
	nstest.MoveToBridge(t, h.ns, "eth0", "br0", "10.240.0.10/24")
	for start := time.Now(); strings.Count(h.ns.IP(t, "route", "show", "proto", "157"), "dev br0") != 2; time.Sleep(time.Millisecond) {
		if time.Since(start) > nstest.Patience {
			t.Fatalf("after %s the routes are %q", time.Since(start), h.ns.IP(t, "route", "show", "proto", "157"))
		}
	}
	h.ns.IP(t, "link", "set", "eth0", "down")
	for start := time.Now(); len(h.ours(t)) != 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > nstest.Patience {
			t.Fatalf("the kernel kept %q through the bridge's carrier loss; the test is wrong", h.ours(t))
		}
	}
	time.Sleep(500 * time.Millisecond) // as the soak's flap: watch's passes while it is down
	start := time.Now()
	h.ns.IP(t, "link", "set", "eth0", "up")
	nstest.Timed(t, "the bridge's port down and up", h.restored(t, start, both...))
	if n := h.log.Count("Nexthop id does not exist"); n != 0 {
		t.Errorf("watch wrote routes through nexthop objects the kernel had dropped (%d errors):\n%s", n, h.log.String())
	}
}

// TestLiveSourceRefusedAtStart: with a live source (Updates), a config
// refused at start (a destination on the host's own subnet) is reported
// and Run goes on; the next update is applied.
func TestLiveSourceRefusedAtStart(t *testing.T) {
	h := newHost(t)
	updates := make(chan watch.Update, 1)
	bad := config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
		{Destination: netip.MustParsePrefix("10.240.0.128/25"), Gateway: netip.MustParseAddr("10.240.0.21"), Peer: "node-1"},
	}}
	h.watchWith(t, bad, watch.Options{Updates: updates})
	if n := h.log.Count("a subnet this host is directly connected to"); n != 1 {
		t.Errorf("the refusal is logged %d times, want once", n)
	}
	start := time.Now()
	updates <- watch.Update{Config: twoRoutes("10.240.0.22")}
	nstest.Timed(t, "an update after a refused start", h.restored(t, start, both...))
}

// TestResyncRepairsWhatNoEventSaid: a route deleted without an event
// watch can act on (events lost) stays deleted until the periodic resync,
// which puts it back.
func TestResyncRepairsWhatNoEventSaid(t *testing.T) {
	h := newHost(t)
	h.run = routeDeaf{h.k}
	const resync = time.Second
	h.watchWith(t, twoRoutes("10.240.0.22"), watch.Options{Resync: resync})
	h.restored(t, time.Now(), both...)
	h.ns.IP(t, "route", "del", "10.200.1.0/24")
	start := time.Now()
	time.Sleep(resync / 4)
	if got := h.ours(t); len(got) != 1 {
		t.Fatalf("without its event, the deleted route is back within %s (%q): the test is wrong", resync/4, got)
	}
	h.restored(t, start, both...)
	h.sys.wait(t, "restored 10.200.1.0/24 after periodic resync")
}

// TestRetriesAProblem: a pass left with a problem (another owner holds a
// destination) is retried, without an event, after a second.
func TestRetriesAProblem(t *testing.T) {
	h := newHost(t)
	h.conflicted(t)
	h.sys.wait(t, "1 of 2 routes in place after retry; 1 problem: route 10.200.2.0/24 via 10.240.0.22 (node-2): another owner (static) holds the destination")
}

// TestRefusedConfigKeepsTheCount: a new config refused (here by a reload)
// leaves watch knowing the old config's routes as before: the heal that
// follows counts every route in place, not only the one it healed.
func TestRefusedConfigKeepsTheCount(t *testing.T) {
	h := newHost(t)
	reload := make(chan struct{})
	bad := config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
		{Destination: netip.MustParsePrefix("10.240.0.128/25"), Gateway: netip.MustParseAddr("10.240.0.21"), Peer: "node-1"},
	}}
	h.watchWith(t, twoRoutes("10.240.0.22"), watch.Options{Reload: reload, Load: func() (config.Config, error) { return bad, nil }})
	h.restored(t, time.Now(), both...)
	reload <- struct{}{}
	h.sys.wait(t, "new config refused, old config kept")
	h.ns.IP(t, "route", "del", "10.200.1.0/24")
	h.sys.wait(t, "restored 10.200.1.0/24 after route 10.200.1.0/24 via 10.240.0.21 deleted; 2 of 2 routes in place")
}

// TestUnplanned: while a live source cannot plan this host's config
// (Update.Err), the routes of the last plan stay, but no pass is a
// success, no route is said to be in place, and "resolved" waits; every
// retry, resync and address change asks the source to plan again; its
// next plan ends that, even if it is the same as the last.
func TestUnplanned(t *testing.T) {
	h := newHost(t)
	updates := make(chan watch.Update, 1)
	replans := make(chan struct{}, 100)
	seen := &observed{c: make(chan pass, 100)}
	// Retries on a fake clock: only the test's step makes one, so that a
	// plan asked for at once is told from one asked for by a retry.
	clk := clocktesting.NewFakeClock(time.Now())
	h.watchWith(t, twoRoutes("10.240.0.22"), watch.Options{Updates: updates, Observer: seen, Clock: clk,
		Replan: func() { replans <- struct{}{} }})
	h.restored(t, time.Now(), both...)
	if p := seen.next(t); p.err != nil || p.left[reconcile.InPlace] != 2 {
		t.Fatalf("the first pass: %v, %v in place; want no error, 2", p.err, p.left[reconcile.InPlace])
	}
	if len(replans) != 0 {
		t.Fatalf("the source is asked to plan again with a plan that works")
	}

	const why = "planning this host's routes: more than one host has an address of this host's"
	updates <- watch.Update{Err: errors.New(why)}
	h.sys.wait(t, "2 of the last plan's 2 routes in place after update; 1 problem: "+why)
	p := seen.next(t)
	if p.err == nil || !strings.Contains(p.err.Error(), why) {
		t.Errorf("the pass without a plan is told as %v, want a failure", p.err)
	}
	if p.left != ([reconcile.NumStates]int{}) {
		t.Errorf("the pass without a plan says the routes are %v, want nothing said", p.left)
	}
	h.log.Wait(t, "error: "+why, nstest.Patience)
	h.restored(t, time.Now(), both...) // the routes of the last plan stay

	// An address change asks for a plan at once (no retry is due yet);
	// the retry, a second later, asks again and fails again.
	h.ns.IP(t, "addr", "add", "10.240.0.20/32", "dev", "eth0")
	replanned(t, replans)
	clk.Step(time.Second)
	replanned(t, replans)
	if p := seen.next(t); p.err == nil {
		t.Error("the retry without a plan is told as a success")
	}
	if n := h.log.Count("resolved"); n != 0 {
		t.Errorf("resolved logged without a plan:\n%s", h.log)
	}

	// The same config as before, planned again, ends it.
	updates <- watch.Update{Config: twoRoutes("10.240.0.22")}
	h.sys.wait(t, "2 of 2 routes in place after update")
	for p := seen.next(t); p.err != nil || p.left[reconcile.InPlace] != 2; p = seen.next(t) {
		t.Logf("a pass before the plan came: %v", p.err)
	}
	h.log.Wait(t, "resolved: the problems of the last pass are gone (1)", nstest.Patience)
	notReplanned(t, h, replans, "its plan worked")
}

// TestProvisional: a provisional plan taken (a guest's, made while this
// host's address was off its links) asks the live source to plan again at
// once, and so does every address change while it stands, as while the
// source cannot plan; once a
// plan is not provisional, none does. The soak's kube lab saw a host whose
// address was being moved to a bridge when a Node changed stay a guest,
// its own Node's route left out, until the next Node change.
func TestProvisional(t *testing.T) {
	h := newHost(t)
	updates := make(chan watch.Update, 1)
	replans := make(chan struct{}, 100)
	seen := &observed{c: make(chan pass, 100)}
	h.watchWith(t, twoRoutes("10.240.0.22"), watch.Options{Updates: updates, Observer: seen,
		Replan: func() { replans <- struct{}{} }})
	h.restored(t, time.Now(), both...)
	seen.next(t)

	// Taken, it asks at once (the address may have come, its event
	// taken, while the source planned), then at each address change.
	updates <- watch.Update{Config: twoRoutes("10.240.0.22"), Provisional: true}
	h.sys.wait(t, "2 of 2 routes in place after update")
	replanned(t, replans)
	h.ns.IP(t, "addr", "add", "10.240.0.20/32", "dev", "eth0")
	replanned(t, replans)

	updates <- watch.Update{Config: twoRoutes("10.240.0.22")}
	h.sys.wait(t, "2 of 2 routes in place after update")
	notReplanned(t, h, replans, "a plan that is not provisional")
}

// pass is what an Observer is told of a pass.
type pass struct {
	err  error
	left [reconcile.NumStates]int
}

// observed is a watch.Observer that sends each pass on c.
type observed struct{ c chan pass }

func (o *observed) Passed(_ string, res reconcile.Result, err error, _ time.Duration) {
	o.c <- pass{err, res.Left}
}

// next is the next pass, within nstest.Patience.
func (o *observed) next(t *testing.T) pass {
	t.Helper()
	select {
	case p := <-o.c:
		return p
	case <-time.After(nstest.Patience):
		t.Fatalf("no pass within %s", nstest.Patience)
	}
	return pass{}
}

// notReplanned takes 10.240.0.20/32, added before, off eth0: an address
// change that, after what, must not ask the source to plan again.
func notReplanned(t *testing.T, h *host, replans chan struct{}, what string) {
	t.Helper()
	for len(replans) > 0 {
		<-replans
	}
	h.ns.IP(t, "addr", "del", "10.240.0.20/32", "dev", "eth0")
	time.Sleep(200 * time.Millisecond)
	if len(replans) != 0 {
		t.Errorf("the source is asked to plan again after %s", what)
	}
}

// replanned waits until Replan is called, up to nstest.Patience.
func replanned(t *testing.T, replans <-chan struct{}) {
	t.Helper()
	select {
	case <-replans:
	case <-time.After(nstest.Patience):
		t.Fatalf("not asked to plan again within %s", nstest.Patience)
	}
}
