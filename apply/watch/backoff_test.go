package watch

import (
	"testing"
	"time"
)

// TestBackoff: the retries of a failing pass come after 1 s, then twice
// as long each time, up to maxRetry; arming an armed timer keeps it; a
// success starts again from 1 s.
func TestBackoff(t *testing.T) {
	var b backoff
	if b.fire() != nil {
		t.Fatal("a retry armed before any failure")
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, maxRetry, maxRetry} {
		b.arm()
		b.arm() // the same failure seen again: the timer runs on
		if b.next != want || b.fire() == nil {
			t.Fatalf("retry after %s (armed %v), want %s", b.next, b.fire() != nil, want)
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
