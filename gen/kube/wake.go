package kube

import (
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

// wakeClock is the reflector's clock: the real one (or a test's), except
// that the timers it makes also fire when wake is called, which the
// heartbeat does each time the API server answers its probe.
//
// The reflector times nothing else with timers but its backoff: 0.8 s
// doubling to 30 s, with a jitter of up to as much again, reset only after
// two minutes without one (client-go tools/cache reflector.go,
// NewReflectorWithOptions). It waits one out before it lists again after
// a watch that ended, and before it watches again after a refused one: a
// few API server restarts in a row left podroutes following no Node for up
// to a minute after the API server was back (86 s in the soak). The
// backoff stands while the API server does not answer; it ends as soon as
// the heartbeat's probe (a request the API server's cache answers) says
// that asking again may work.
type wakeClock struct {
	clock.WithTickerAndDelayedExecution

	// armed, if set, is signalled (without blocking) when a timer is
	// armed: the reflector waits, and the heartbeat asks sooner.
	armed chan<- struct{}

	mu     sync.Mutex
	timers map[*wakeTimer]bool // those armed, and some fired since
}

func newWakeClock(c clock.WithTickerAndDelayedExecution, armed chan<- struct{}) *wakeClock {
	return &wakeClock{WithTickerAndDelayedExecution: c, armed: armed, timers: map[*wakeTimer]bool{}}
}

// waiting reports whether a timer is armed (the reflector waits out its
// backoff); a nil c has none.
func (c *wakeClock) waiting() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for t := range c.timers {
		if t.armed.Load() != 0 {
			return true
		}
	}
	return false
}

// NewTimer is a timer of c's clock that also fires at wake.
func (c *wakeClock) NewTimer(d time.Duration) clock.Timer {
	t := &wakeTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// wake fires every armed timer now; a nil c has none.
func (c *wakeClock) wake() {
	if c == nil {
		return
	}
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for t := range c.timers {
		t.fire(t.armed.Load(), now)
		delete(c.timers, t)
	}
}

// wakeTimer is a timer of a wakeClock. The clock's own timer fires it
// with no lock held: a test's fake clock calls it while it holds its own.
type wakeTimer struct {
	c     *wakeClock
	ch    chan time.Time
	inner clock.Timer // the clock's timer of the last arming; guarded by c.mu
	// armed is the number of the arming that may still fire (0: none):
	// the clock's timer of an arming since replaced must not fire the
	// new one.
	armed atomic.Uint64
	gen   uint64 // armings so far; guarded by c.mu
}

func (t *wakeTimer) C() <-chan time.Time { return t.ch }

// Stop disarms t; it reports whether t was armed.
func (t *wakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	delete(t.c.timers, t)
	return t.disarmLocked()
}

// Reset arms t to fire after d (or at wake); it reports whether t was
// armed. Like a time.Timer's, its channel is the caller's to drain.
func (t *wakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.disarmLocked()
	t.gen++
	gen := t.gen
	t.armed.Store(gen)
	t.c.timers[t] = true
	at := t.c.Now().Add(d) // the callback may not ask the clock: see wakeTimer
	t.inner = t.c.AfterFunc(d, func() { t.fire(gen, at) })
	if t.c.armed != nil {
		select {
		case t.c.armed <- struct{}{}:
		default:
		}
	}
	return was
}

func (t *wakeTimer) disarmLocked() bool {
	if t.inner != nil {
		t.inner.Stop()
	}
	return t.armed.Swap(0) != 0
}

// fire sends now on t's channel if arming gen is still armed (and no
// value waits there already), and disarms it.
func (t *wakeTimer) fire(gen uint64, now time.Time) {
	if gen == 0 || !t.armed.CompareAndSwap(gen, 0) {
		return
	}
	select {
	case t.ch <- now:
	default:
	}
}
