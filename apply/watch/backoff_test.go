package watch

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// TestBackoff: the retries of a failing pass come after 1 s, then twice
// as long each time, up to maxRetry, and not before; arming an armed
// timer keeps it; a success starts again from 1 s.
func TestBackoff(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	b := backoff{clock: clk}
	if b.fire() != nil {
		t.Fatal("a retry armed before any failure")
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, maxRetry, maxRetry} {
		b.arm()
		clk.Step(want / 2)
		b.arm() // the same failure seen again: the timer runs on
		clk.Step(want/2 - time.Millisecond)
		select {
		case <-b.fire():
			t.Fatalf("the retry due after %s came before", want)
		default:
		}
		clk.Step(time.Millisecond)
		select {
		case <-b.fire():
		default:
			t.Fatalf("no retry after %s (delay %s)", want, b.next)
		}
		b.stop() // the retry's pass starts
	}
	b.reset()
	b.arm()
	if b.next != time.Second {
		t.Errorf("after a success, retry after %s, want 1s", b.next)
	}
	b.reset()
}
