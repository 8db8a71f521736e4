package kube

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestWakeClock, on an injected clock: a timer of the reflector's clock
// fires at its time or at wake, whichever is first, once; a stopped or
// fired timer is not fired by wake; the backoff client-go's reflector
// makes on it (the same constructor and figures) ends at wake however far
// it has grown.
func TestWakeClock(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	c := newWakeClock(clk, nil)
	fired := func(tm clock.Timer) bool {
		select {
		case <-tm.C():
			return true
		default:
			return false
		}
	}

	// endsAtWake: tm has not fired after wait more, and fires at wake.
	endsAtWake := func(what string, tm clock.Timer, wait time.Duration) {
		t.Helper()
		clk.Step(wait)
		if fired(tm) {
			t.Fatalf("%s fired within %s", what, wait)
		}
		c.wake()
		if !fired(tm) {
			t.Fatalf("%s did not fire at wake", what)
		}
	}

	long := c.NewTimer(30 * time.Second)
	endsAtWake("a 30 s timer", long, 10*time.Second)
	c.wake()
	clk.Step(time.Minute)
	if fired(long) {
		t.Error("a fired timer fired again")
	}

	long.Reset(time.Second)
	clk.Step(time.Second)
	if !fired(long) {
		t.Error("a reset timer did not fire at its time")
	}

	stopped := c.NewTimer(5 * time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop does not report an armed timer once")
	}
	c.wake()
	clk.Step(10 * time.Second)
	if fired(stopped) {
		t.Error("a stopped timer fired")
	}

	// client-go's reflector: NewReflectorWithOptions's backoff manager.
	//lint:ignore SA1019 the reflector's backoff, made as client-go makes it (reflector.go, NewReflectorWithOptions)
	b := wait.NewExponentialBackoffManager(800*time.Millisecond, 30*time.Second, 2*time.Minute, 2.0, 1.0, c)
	for range 8 { // grown to its cap: 30 s and up to as much again
		tm := b.Backoff()
		clk.Step(time.Minute)
		if !fired(tm) {
			t.Fatal("the backoff did not end within a minute")
		}
	}
	endsAtWake("the reflector's backoff at its cap", b.Backoff(), 29*time.Second)
}
