package watch

import (
	"net/netip"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// The events of the test, as kernel.Events sends them once observed.
var (
	routeDeleted = kernel.Event{Kind: kernel.RouteChanged, Deleted: true,
		Route: reconcile.Route{Dst: netip.MustParsePrefix("10.200.1.0/24"), Gw: netip.MustParseAddr("10.240.0.21")}}
	linkDown = kernel.Event{Kind: kernel.LinkChanged, Name: "eth0"}
)

// TestBurstSettles: a lone event's pass starts once the events pause, well
// before the debounce; a stream that never pauses still gets its pass at
// the debounce. The margins are wide: this is the logic, not a speed.
func TestBurstSettles(t *testing.T) {
	var b burst
	start := time.Now()
	b.add(routeDeleted, time.Second)
	<-b.fire()
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("a lone event waited %s, the whole debounce", took)
	}
	if got := b.take(); got != "route 10.200.1.0/24 via 10.240.0.21 deleted" {
		t.Errorf("take: %q", got)
	}

	start = time.Now()
	stream := time.NewTicker(time.Millisecond) // faster than settle
	defer stream.Stop()
	const debounce = 200 * time.Millisecond
	last := time.Now() // taken before each add: the pause since is no longer than add saw
	b.add(linkDown, debounce)
	for fired := false; !fired; {
		select {
		case <-b.fire():
			fired = true
		case <-stream.C:
			last = time.Now()
			b.add(routeDeleted, debounce)
		}
		if time.Since(start) > 10*debounce {
			t.Fatal("a stream of events kept its pass from starting")
		}
	}
	// On a loaded machine the stream itself may pause, its ticks late by
	// more than settle: then the pass rightly starts at that pause.
	if took, paused := time.Since(start), time.Since(last); took < debounce/2 && paused < settle {
		t.Errorf("the pass started %s into a stream of events, %s after its last event; want about %s, or a pause of %s", took, paused, debounce, settle)
	}
	if got := b.take(); got[:14] != "link eth0 down" {
		t.Errorf("take: %q, want the link named", got)
	}
}

// TestBurstAddCostsNoAllocation: add runs for every event of a burst (a
// flap's thousands); describing the burst is left to take, once a pass.
func TestBurstAddCostsNoAllocation(t *testing.T) {
	var b burst
	b.add(linkDown, time.Hour)
	if n := testing.AllocsPerRun(1000, func() { b.add(routeDeleted, time.Hour) }); n != 0 {
		t.Errorf("add allocates %v times an event, want 0", n)
	}
	if got := b.take(); got != "link eth0 down (and 1001 more events)" {
		t.Errorf("take: %q", got)
	}
}
