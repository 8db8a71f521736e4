package watch

import (
	"testing"
	"time"
)

// TestBurstSettles: a lone event's pass starts once the events pause, well
// before the debounce; a stream that never pauses still gets its pass at
// the debounce. The margins are wide: this is the logic, not a speed.
func TestBurstSettles(t *testing.T) {
	var b burst
	start := time.Now()
	b.add("route 10.200.1.0/24 via 10.240.0.21 deleted", time.Second)
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
	b.add("link eth0 down", debounce)
	for fired := false; !fired; {
		select {
		case <-b.fire():
			fired = true
		case <-stream.C:
			b.add("route 10.200.1.0/24 via 10.240.0.21 deleted", debounce)
		}
		if time.Since(start) > 10*debounce {
			t.Fatal("a stream of events kept its pass from starting")
		}
	}
	if took := time.Since(start); took < debounce/2 {
		t.Errorf("the pass started %s into a stream of events; want about %s", took, debounce)
	}
	if got := b.take(); got[:14] != "link eth0 down" {
		t.Errorf("take: %q, want the link named", got)
	}
}
