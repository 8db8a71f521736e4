package kube

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// TestHeartbeat, on an injected clock: a probe without an answer within
// ProbeTimeout marks the API server unreachable, logged once however long
// it stays frozen, and the next answer marks it answering again, with a
// snapshot due to check the routes.
func TestHeartbeat(t *testing.T) {
	start := time.Now()
	clk := clocktesting.NewFakeClock(start)
	log := &logtest.Lines{T: t}
	told := make(chan bool, 10)
	s := &Source{changed: make(chan struct{}, 1)}
	s.api = apiState{host: "https://10.240.0.10:6443", log: log, clock: clk, answering: func(up bool) { told <- up },
		recovered: func() { s.resync.Store(true); s.change() }}
	calls := make(chan chan error)
	probe := func(ctx context.Context) error {
		reply := make(chan error, 1)
		calls <- reply
		select {
		case err := <-reply:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.heartbeat(ctx, clk, probe) }()
	defer func() { cancel(); <-done }()

	// step moves the clock on by a second at a time until the heartbeat
	// probes (it returns the probe's reply) or tells (it returns what),
	// and says when on the clock. What it tells comes first: a timeout
	// and the next tick fall on the same second, and the heartbeat tells
	// before it probes again, but a select picks at random among the two.
	type event struct {
		reply chan error
		up    *bool
		at    time.Duration
	}
	var next chan error // a probe that came with news, for the next step
	step := func() event {
		t.Helper()
		if reply := next; reply != nil {
			next = nil
			return event{reply: reply, at: clk.Since(start)}
		}
		for range 100 {
			select {
			case reply := <-calls:
				select {
				case up := <-told:
					next = reply
					return event{up: &up, at: clk.Since(start)}
				default:
				}
				return event{reply: reply, at: clk.Since(start)}
			case up := <-told:
				return event{up: &up, at: clk.Since(start)}
			case <-time.After(20 * time.Millisecond):
				clk.Step(time.Second)
			}
		}
		t.Fatal("neither a probe nor news within 100 s")
		return event{}
	}

	e := step()
	if e.reply == nil || e.at != ProbeEvery {
		t.Fatalf("the first probe at %s (%+v), want at %s", e.at, e, ProbeEvery)
	}
	e.reply <- nil
	if e = step(); e.up == nil || !*e.up {
		t.Fatalf("after an answer: %+v, want told true", e)
	}

	// Frozen: no answer.
	e = step()
	if e.reply == nil {
		t.Fatalf("%+v, want a probe", e)
	}
	asked := e.at
	if e = step(); e.up == nil || *e.up {
		t.Fatalf("a probe without an answer: %+v, want told false", e)
	}
	if d := e.at - asked; d < ProbeTimeout || d > ProbeTimeout+2*time.Second {
		t.Errorf("told the API server is unreachable %s after the probe, want %s", d, ProbeTimeout)
	}
	log.Wait(t, "error: the Kubernetes API at https://10.240.0.10:6443 is unreachable: no answer within 10s; the routes stay as they are", nstest.Patience)
	// Frozen for a few probes more: said once.
	for range 3 {
		if e = step(); e.reply == nil {
			t.Fatalf("%+v, want a probe", e)
		}
	}
	if n := log.Count("is unreachable"); n != 1 {
		t.Errorf("the frozen API server is logged %d times, want once", n)
	}

	// Thawed: the next answer.
	e.reply <- nil
	if e = step(); e.up == nil || !*e.up {
		t.Fatalf("an answer after the outage: %+v, want told true", e)
	}
	log.Wait(t, "the Kubernetes API at https://10.240.0.10:6443 answers again", nstest.Patience)
	// The resync is marked after the line is logged: wait for the change
	// it signals (nothing else signals one here), then look.
	select {
	case <-s.changed:
	case <-time.After(nstest.Patience):
		t.Fatal("no change signalled after the API server answered again")
	}
	if !s.resync.Load() {
		t.Error("no resync due after the API server answered again")
	}
}

// TestFrozenAPI: an API server stopped with SIGSTOP, its connections open
// and the watch silent, is told unreachable within ProbeEvery+ProbeTimeout,
// and answering once it runs again.
func TestFrozenAPI(t *testing.T) {
	c := controlPlane(t)
	c.CreateNode(t, k8stest.Fleet(1)[0])
	log := &logtest.Lines{T: t}
	told := make(chan bool, 10)
	s, err := New(c.RESTConfig(c.Tokens.Podroutes), Options{Log: log, Answering: func(up bool) { told <- up }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	snaps := make(chan Snapshot, 10)
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx, func(snap Snapshot) { snaps <- snap }) }()
	defer func() { cancel(); <-done }()
	select {
	case <-snaps:
	case <-time.After(20 * time.Second):
		t.Fatal("no snapshot within 20 s")
	}
	expectTold(t, told, true, nstest.Patience)

	thaw := c.FreezeAPI(t)
	start := time.Now()
	expectTold(t, told, false, ProbeEvery+ProbeTimeout+nstest.Patience)
	t.Logf("a frozen API server told unreachable after %s", time.Since(start).Round(time.Millisecond))
	log.Wait(t, "is unreachable: no answer within 10s", nstest.Patience)
	thaw()
	start = time.Now()
	expectTold(t, told, true, ProbeEvery+nstest.Patience)
	t.Logf("the API server, thawed, told answering after %s", time.Since(start).Round(time.Millisecond))
}

// expectTold waits up to d for Answering to be told want.
func expectTold(t *testing.T, told <-chan bool, want bool, d time.Duration) {
	t.Helper()
	select {
	case up := <-told:
		if up != want {
			t.Fatalf("told the API server answers: %v, want %v", up, want)
		}
	case <-time.After(d):
		t.Fatalf("not told %v within %s", want, d)
	}
}

// TestHeartbeatCadence, on an injected clock: while the reflector waits
// out a backoff, the heartbeat asks every RetryEvery, and its answer ends
// the backoff; a probe refused is made again 1 s doubling to ProbeEvery
// apart (a wrong kubeconfig is not asked more often than a working one).
func TestHeartbeatCadence(t *testing.T) {
	start := time.Now()
	clk := clocktesting.NewFakeClock(start)
	ask := make(chan struct{}, 1)
	s := &Source{changed: make(chan struct{}, 1), ask: ask, wake: newWakeClock(clk, ask)}
	s.api = apiState{host: "https://10.240.0.10:6443", log: &logtest.Lines{T: t}, recovered: func() {}, fell: ask, clock: clk}
	var refuse atomic.Bool
	probes := make(chan time.Duration, 100)
	probe := func(context.Context) error {
		probes <- clk.Since(start)
		if refuse.Load() {
			return apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "-", errors.New("no"))
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.heartbeat(ctx, clk, probe) }()
	defer func() { cancel(); <-done }()
	// next steps the clock a second at a time until a probe comes, and
	// says when on the clock.
	next := func() time.Duration {
		t.Helper()
		for range 100 {
			select {
			case at := <-probes:
				return at
			case <-time.After(20 * time.Millisecond):
				clk.Step(time.Second)
			}
		}
		t.Fatal("no probe within 100 s")
		return 0
	}

	// The reflector waits out a backoff of a minute: asked every second,
	// the first answer ends it; then every ProbeEvery again.
	backoff := s.wake.NewTimer(time.Minute)
	if at := next(); at != RetryEvery {
		t.Errorf("with the reflector waiting, the first probe at %s, want %s", at, RetryEvery)
	}
	select {
	case <-backoff.C():
	case <-time.After(nstest.Patience):
		t.Fatal("the answer did not end the reflector's backoff")
	}
	if at := next(); at != RetryEvery+ProbeEvery {
		t.Errorf("with nothing waiting, the next probe at %s, want %s", at, RetryEvery+ProbeEvery)
	}

	refuse.Store(true)
	last := next()
	var gaps []time.Duration
	for range 6 {
		at := next()
		gaps = append(gaps, at-last)
		last = at
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, ProbeEvery, ProbeEvery}
	if !slices.Equal(gaps, want) {
		t.Errorf("refused probes %v apart, want %v", gaps, want)
	}
}
