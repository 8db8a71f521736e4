package watch

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logtest"
)

// fakeHost is a watch.Kernel without a kernel: a fake main table, links
// the test sets, and events the test sends. Its event channel is
// unbuffered, so a send returns once Run has taken the event, that is,
// once it has handled the one before.
type fakeHost struct {
	*fake.Kernel
	mu     sync.Mutex
	links  []gateway.Link
	events chan kernel.Event
}

func newFakeHost(routes ...string) *fakeHost {
	return &fakeHost{Kernel: fake.New(routes...), events: make(chan kernel.Event),
		links: []gateway.Link{{Name: "eth0", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.240.0.10/24")}}}}
}

func (h *fakeHost) Links() ([]gateway.Link, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.links), nil
}

func (h *fakeHost) setLinks(links ...gateway.Link) {
	h.mu.Lock()
	h.links = links
	h.mu.Unlock()
}

// Subscribe is for apply's wait for gateways, which Run's later passes do
// not make.
func (h *fakeHost) Subscribe(<-chan struct{}) (<-chan struct{}, error) { return nil, nil }

func (h *fakeHost) Events(<-chan struct{}) (<-chan kernel.Event, error) { return h.events, nil }

// Observe completes nothing: the test sends events as Observe leaves them.
func (h *fakeHost) Observe(*kernel.Event) {}

// pass is one pass, as the Observer is told of it.
type pass struct {
	why    string
	res    reconcile.Result
	err    error
	healed time.Duration
}

// passLog is an Observer that sends each pass on a channel. Unbuffered:
// Run waits in Passed until the test takes the pass, and so arms no timer
// after it until then; a timer that fired is gone from the fake clock's
// waiters at once (pending), whatever Run has done of its pass.
type passLog chan pass

func (p passLog) Passed(why string, res reconcile.Result, err error, healed time.Duration) {
	p <- pass{why, res, err, healed}
}

// tickingClock is a fake clock that records the period of each ticker
// made: a tick that came early cannot be told from the events a test
// sends (Run's select takes either), its period can.
type tickingClock struct {
	*clocktesting.FakeClock
	mu      sync.Mutex
	periods []time.Duration
}

func (c *tickingClock) NewTicker(d time.Duration) clock.Ticker {
	c.mu.Lock()
	c.periods = append(c.periods, d)
	c.mu.Unlock()
	return c.FakeClock.NewTicker(d)
}

// tickers are the periods of the tickers made so far.
func (c *tickingClock) tickers() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.periods)
}

// loop is Run on a fakeHost and a fake clock.
type loop struct {
	h      *fakeHost
	clock  *tickingClock
	passes passLog
	log    *logtest.Lines
	// timers is how many timers and tickers Run keeps when idle (the
	// resync ticker), beside a burst's or a retry's.
	timers int
}

// unrelated is an event of no interest: another owner's route elsewhere.
var unrelated = kernel.Event{Kind: kernel.RouteChanged, Route: reconcile.Route{Dst: netip.MustParsePrefix("192.0.2.0/24")}}

// startLoop runs Run on h with cfg until the test ends, and takes its
// first pass.
func startLoop(t *testing.T, h *fakeHost, cfg config.Config, o Options) *loop {
	l := &loop{h: h, clock: &tickingClock{FakeClock: clocktesting.NewFakeClock(time.Unix(1e9, 0))}, passes: make(passLog), log: &logtest.Lines{T: t}, timers: 1}
	o.Clock, o.Observer, o.Log, o.Notify = l.clock, l.passes, l.log, quiet{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, h, cfg, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if p := l.next(t); p.why != "start" {
		t.Fatalf("first pass %q, want start", p.why)
	}
	l.settled(t)
	return l
}

// send hands Run evs, then an unrelated event: when that is taken, Run has
// handled evs. It fails the test if Run does not take them (it waits in
// Passed for a pass the test did not expect).
func (l *loop) send(t *testing.T, evs ...kernel.Event) {
	t.Helper()
	for _, ev := range append(evs, unrelated) {
		select {
		case l.h.events <- ev:
		case p := <-l.passes:
			t.Fatalf("a pass %q came while sending events", p.why)
		case <-time.After(10 * time.Second):
			t.Fatal("Run took no event")
		}
	}
}

// next is the next pass; the test fails if none comes (a bound for a
// broken Run, not a timing: the passes wait on the fake clock).
func (l *loop) next(t *testing.T) pass {
	t.Helper()
	select {
	case p := <-l.passes:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no pass")
		return pass{}
	}
}

// settled waits until Run is idle on its timers and has made its
// pass's timers (it sends the Observer its pass, then arms or disarms a
// retry); then a pass can only come from the test's steps and events.
func (l *loop) settled(t *testing.T) {
	t.Helper()
	l.send(t)
}

// none fails the test unless pending timers are still armed, none fired:
// no pass is due.
func (l *loop) none(t *testing.T, what string, pending int) {
	t.Helper()
	if got := l.pending(); got != pending {
		t.Fatalf("%s: %d timers pending, want %d: one fired", what, got, pending)
	}
}

// pending reports how many timers beside the idle ones are armed: a
// burst's pass or a retry that the clock has not reached.
func (l *loop) pending() int { return l.clock.Waiters() - l.timers }
