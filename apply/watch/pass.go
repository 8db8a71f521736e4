package watch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/route"
)

// watcher is Run's state between passes.
type watcher struct {
	k Kernel
	o Options
	kept
	// dirty are the keys of the routes events changed since the last
	// pass, and full says a full pass is due instead (events were lost).
	dirty map[route.Key]bool
	full  bool
	// echoes are the events of podroutes' own writes, to be told apart.
	echoes *echoes
	// reported are the problems of the last full pass and the heals since,
	// each logged once when it appeared, so that a conflict that stays is
	// not logged at every event.
	reported map[string]bool
	status   string
	retry    backoff
	// unplanned is why the live source could not plan the config it
	// wants now (Update.Err), nil once it could: the config kept is not
	// the current one, so no pass of it is a success.
	unplanned error
	// provisional: the live source's last plan was Update.Provisional.
	provisional bool
	// reloadFailed is why the last reload failed, if it was for want of
	// an address naming this host (ErrHostUnknown): an address change
	// loads again.
	reloadFailed error
	// neigh are the tunnel's entries' events while the config keeps a
	// tunnel (neighbours), neighStop ends them.
	neigh     <-chan kernel.Event
	neighStop chan struct{}
}

// newWatcher starts keeping cfg.
func newWatcher(k Kernel, cfg config.Config, o Options) *watcher {
	w := &watcher{k: k, o: o, dirty: map[route.Key]bool{}, reported: map[string]bool{},
		echoes: &echoes{clock: o.Clock}, retry: backoff{clock: o.Clock}}
	w.take(cfg)
	return w
}

// kept is what the watcher knows of the config it keeps; one value, so
// that a new config refused gives the old one back as it was.
type kept struct {
	cfg config.Config
	in  *interest
	// state is the state each wanted route (by key) was left in, by the
	// last pass that looked at it, and counts how many are in each; stale
	// is the stale routes the last full pass left.
	state  map[route.Key]reconcile.State
	counts [reconcile.NumStates]int
	stale  int
}

// take makes cfg the config, knowing nothing of its routes yet.
func (w *watcher) take(cfg config.Config) {
	w.kept = kept{cfg: cfg, in: newInterest(cfg), state: make(map[route.Key]reconcile.State, len(cfg.Routes))}
}

// pass applies the whole config once, after why ("config reload"),
// waiting up to wait for gateways. It logs each change and each new
// problem, sets STATUS= and arms a retry if something failed. It returns
// Apply's error.
func (w *watcher) pass(ctx context.Context, why string, wait time.Duration) error {
	w.full = false
	clear(w.dirty)
	return w.run(ctx, why, apply.Options{Wait: wait}, time.Time{})
}

// heal repairs the destinations events changed (w.dirty), after why, or
// runs a full pass when events were lost; first is when the burst's first
// event came. A pass since the events (a resync, a retry) may have left
// nothing to repair: then it does nothing.
func (w *watcher) heal(ctx context.Context, why string, first time.Time) {
	o := apply.Options{}
	switch {
	case w.full:
		w.full = false
	case len(w.dirty) == 0:
		return
	default:
		o.Only = make([]route.Key, 0, len(w.dirty))
		for d := range w.dirty {
			o.Only = append(o.Only, d)
		}
	}
	clear(w.dirty)
	w.run(ctx, why, o, first)
}

// run is one pass of apply with o, and what follows it; first, unless
// zero, is when the events that started it came (a heal).
func (w *watcher) run(ctx context.Context, why string, o apply.Options, first time.Time) error {
	if o.Only == nil {
		w.retry.stop() // this pass does what the retry would
	}
	rec := recorder{echoes: w.echoes}
	o.Force, o.Log, o.Wrote, o.Lock, o.Hostname, o.LeaveOut = w.o.Force, w.o.Log, rec.wrote, w.o.Lock, w.o.Hostname, w.o.LeaveOut
	o.Node, o.Keep = w.o.Node, w.o.Keep
	res, err := apply.Apply(ctx, w.k, w.cfg, o)
	if ctx.Err() != nil {
		return err // shutting down: the next run reports what is left
	}
	if links, lerr := w.k.Links(); lerr == nil {
		w.in.watchLinks(links)
	}
	w.tally(res, o.Only == nil)
	res.InPlace, res.Left = w.counts[reconcile.InPlace], w.counts
	res.Left[reconcile.Stale] = w.stale
	var healed time.Duration
	if !first.IsZero() && rec.writes > 0 {
		healed = w.o.Clock.Since(first)
	}
	// Without the current plan, the pass failed whatever it reached, and
	// no route counts as in place: those of the last plan may no longer
	// be the ones wanted, and the ones wanted now are not known.
	failed, inPlace := err, res.InPlace
	if w.unplanned != nil {
		failed = errors.Join(w.unplanned, err)
		res.InPlace, res.Left = 0, [reconcile.NumStates]int{}
	}
	w.o.Observer.Passed(why, res, failed, healed)
	probs := diag.Split(failed)
	// The retry backs off while the same problems stand, but a new one
	// is retried after a second, whatever the others grew the delay to.
	// A heal without problems leaves the retry as it was: it looked at
	// its destinations only, and one that failed before is still to be
	// retried.
	switch fresh := w.problems(probs, o.Only == nil); {
	case fresh > 0:
		w.retry.reset()
		w.retry.arm()
	case len(probs) > 0:
		w.retry.arm()
	case o.Only == nil:
		w.retry.reset()
	}
	w.notifyStatus(summary(why, &rec, inPlace, len(w.cfg.Routes), w.unplanned != nil, probs))
	return err
}

// tally keeps the state of each wanted destination from what a pass
// reached: a full pass says it of all, a heal of those it healed.
func (w *watcher) tally(res reconcile.Result, full bool) {
	if full {
		clear(w.state)
		w.counts = [reconcile.NumStates]int{}
		w.stale = res.Left[reconcile.Stale]
	}
	for _, f := range res.Final {
		if old, ok := w.state[f.Key]; ok {
			w.counts[old]--
		}
		w.state[f.Key] = f.State
		w.counts[f.State]++
	}
}

// problems logs the problems not reported yet, the first diag.Listed of
// a pass one by one and a line counting the rest (an uplink down under
// 5000 routes is 5000 of them). A full pass says what the problems are
// now, and logs the end of those gone; a heal, which looks at some
// destinations only, adds its new ones. It returns how many are new.
func (w *watcher) problems(probs []string, full bool) int {
	now := make(map[string]bool, len(probs))
	fresh := 0
	for _, p := range probs {
		now[p] = true
		if w.reported[p] {
			continue
		}
		if fresh++; fresh <= diag.Listed {
			w.o.Log.Errorf("%s", p)
		}
	}
	if fresh > diag.Listed {
		w.o.Log.Errorf("%s", diag.More(fresh-diag.Listed, "problem"))
	}
	if !full {
		for p := range now {
			w.reported[p] = true
		}
		return fresh
	}
	if len(probs) == 0 && len(w.reported) > 0 {
		w.o.Log.Infof("resolved: the problems of the last pass are gone (%d)", len(w.reported))
	}
	w.reported = now
	return fresh
}

func (w *watcher) notifyStatus(s string) {
	w.status = s
	if err := w.o.Notify.Status(s); err != nil {
		w.o.Log.Warnf("%v", err)
	}
}

// summary is the STATUS= line: what the pass changed and why, or that the
// routes were in place (of the last plan, if stale: the source cannot
// plan the current one).
func summary(why string, rec *recorder, inPlace, wanted int, stale bool, probs []string) string {
	var parts []string
	if len(rec.restored) > 0 {
		parts = append(parts, "restored "+list(rec.restored))
	}
	if len(rec.pruned) > 0 {
		parts = append(parts, "pruned "+list(rec.pruned))
	}
	s := fmt.Sprintf("%d of %s in place", inPlace, diag.Count(wanted, "route"))
	if stale {
		s = fmt.Sprintf("%d of the last plan's %s in place", inPlace, diag.Count(wanted, "route"))
	}
	if len(parts) > 0 {
		s = strings.Join(parts, ", ") + " after " + why + "; " + s
	} else {
		s += " after " + why
	}
	switch len(probs) {
	case 0:
	case 1:
		s += "; 1 problem: " + probs[0]
	default:
		s += fmt.Sprintf("; %d problems, first: %s", len(probs), probs[0])
	}
	return s
}

// list names up to three routes by key: "10.200.1.0/24 and 4 more".
func list(ks []route.Key) string { return diag.Some(ks, 3, route.Key.String) }

// recorder remembers the destinations a pass's writes fixed, and the
// events they will cause.
type recorder struct {
	restored, pruned []route.Key
	writes           int
	echoes           *echoes
}

func (r *recorder) wrote(w reconcile.Write) {
	r.writes++
	r.echoes.expect(w)
	if w.Op == reconcile.Delete {
		r.pruned = append(r.pruned, w.Route.Key())
	} else {
		r.restored = append(r.restored, w.Route.Key())
	}
}

// backoff re-runs a failed pass after 1 s, then after twice as long each
// time, up to maxRetry, while passes keep failing.
type backoff struct {
	clock clock.Clock
	timer clock.Timer
	next  time.Duration
}

func (b *backoff) arm() {
	if b.timer != nil {
		return
	}
	b.next = min(max(2*b.next, time.Second), maxRetry)
	b.timer = b.clock.NewTimer(b.next)
}

// stop disarms the timer (a pass is starting), keeping the delay.
func (b *backoff) stop() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
}

// reset disarms the timer and forgets the delay (a pass succeeded).
func (b *backoff) reset() {
	b.stop()
	b.next = 0
}

// fire is the timer's channel, nil when none is armed.
func (b *backoff) fire() <-chan time.Time {
	if b.timer == nil {
		return nil
	}
	return b.timer.C()
}
