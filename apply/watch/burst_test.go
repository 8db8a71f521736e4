package watch

import (
	"net/netip"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// The events of the test, as kernel.Events sends them once observed.
var (
	routeDeleted = kernel.Event{Kind: kernel.RouteChanged, Deleted: true,
		Route: reconcile.Route{Dst: netip.MustParsePrefix("10.200.1.0/24"), Gw: netip.MustParseAddr("10.240.0.21")}}
	linkDown = kernel.Event{Kind: kernel.LinkChanged, Name: "eth0"}
)

// fired reports whether the burst's pass is due.
func fired(b *burst) bool {
	select {
	case <-b.fire():
		return true
	default:
		return false
	}
}

// TestBurstSettles: a lone event's pass starts once the events pause for
// settle, well before the debounce; a stream that never pauses still gets
// its pass at the debounce, not later. On a fake clock: the rule, exactly.
func TestBurstSettles(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	b := burst{clock: clk}
	b.add(routeDeleted, time.Second)
	clk.Step(settle - time.Millisecond)
	if fired(&b) {
		t.Fatal("a lone event's pass started before the events paused for settle")
	}
	clk.Step(time.Millisecond)
	if !fired(&b) {
		t.Fatal("a lone event's pass did not start once the events paused for settle")
	}
	if got := b.take(); got != "route 10.200.1.0/24 via 10.240.0.21 deleted" {
		t.Errorf("take: %q", got)
	}

	const debounce = 200 * time.Millisecond
	b.add(linkDown, debounce)
	for elapsed := time.Duration(0); elapsed < debounce-time.Millisecond; elapsed += time.Millisecond {
		clk.Step(time.Millisecond) // an event a millisecond: never a pause of settle
		if fired(&b) {
			t.Fatalf("the pass started %s into a stream of events, before the debounce (%s)", elapsed+time.Millisecond, debounce)
		}
		b.add(routeDeleted, debounce)
	}
	clk.Step(time.Millisecond)
	if !fired(&b) {
		t.Fatalf("a stream of events kept its pass from starting at the debounce (%s)", debounce)
	}
	if got := b.take(); got != "link eth0 down (and 199 more events)" {
		t.Errorf("take: %q, want the link named", got)
	}
}

// TestBurstAddCostsNoAllocation: add runs for every event of a burst (a
// flap's thousands); describing the burst is left to take, once a pass.
func TestBurstAddCostsNoAllocation(t *testing.T) {
	b := burst{clock: clocktesting.NewFakeClock(time.Unix(1e9, 0))}
	b.add(linkDown, time.Hour)
	if n := testing.AllocsPerRun(1000, func() { b.add(routeDeleted, time.Hour) }); n != 0 {
		t.Errorf("add allocates %v times an event, want 0", n)
	}
	if got := b.take(); got != "link eth0 down (and 1001 more events)" {
		t.Errorf("take: %q", got)
	}
}
