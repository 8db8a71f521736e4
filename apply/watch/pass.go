package watch

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
)

// watcher is Run's state between passes.
type watcher struct {
	k   Kernel
	cfg config.Config
	o   Options
	// reported are the problems of the last pass, each logged once when it
	// appeared, so that a conflict that stays is not logged at every event.
	reported map[string]bool
	status   string
	retry    backoff
}

// pass applies the config once, after why ("link eth0 up"), waiting up to
// wait for gateways. It logs each change and each new problem, sets STATUS=
// and arms a retry if something failed. It returns Apply's error.
func (w *watcher) pass(ctx context.Context, why string, wait time.Duration) error {
	_, err := w.passCounted(ctx, why, wait)
	return err
}

// passCounted is pass, and says how many writes it made.
func (w *watcher) passCounted(ctx context.Context, why string, wait time.Duration) (int, error) {
	w.retry.stop()
	var rec recorder
	res, err := apply.Apply(ctx, w.k, w.cfg, apply.Options{
		Wait: wait, Force: w.o.Force, Log: w.o.Log, Wrote: rec.wrote, Lock: w.o.Lock, Hostname: w.o.Hostname,
	})
	if ctx.Err() != nil {
		return rec.writes, err // shutting down: the next run reports what is left
	}
	w.o.Observer.Passed(why, res, err)
	probs := flatten(err)
	w.problems(probs)
	switch {
	case len(probs) > 0:
		w.retry.arm()
	default:
		w.retry.reset()
	}
	w.notifyStatus(summary(why, &rec, res, len(w.cfg.Routes), probs))
	return rec.writes, err
}

// problems logs the problems not reported by the last pass, and the end of
// those gone.
func (w *watcher) problems(probs []string) {
	now := make(map[string]bool, len(probs))
	for _, p := range probs {
		now[p] = true
		if !w.reported[p] {
			w.o.Log.Errorf("%s", p)
		}
	}
	if len(probs) == 0 && len(w.reported) > 0 {
		w.o.Log.Infof("resolved: %d problems of the last pass are gone", len(w.reported))
	}
	w.reported = now
}

func (w *watcher) notifyStatus(s string) {
	w.status = s
	if err := w.o.Notify.Status(s); err != nil {
		w.o.Log.Warnf("%v", err)
	}
}

// summary is the STATUS= line: what the pass changed and why, or that the
// routes were in place.
func summary(why string, rec *recorder, res reconcile.Result, wanted int, probs []string) string {
	var parts []string
	if len(rec.restored) > 0 {
		parts = append(parts, "restored "+list(rec.restored))
	}
	if len(rec.pruned) > 0 {
		parts = append(parts, "pruned "+list(rec.pruned))
	}
	s := fmt.Sprintf("%d of %d routes in place", res.InPlace, wanted)
	if len(parts) > 0 {
		s = strings.Join(parts, ", ") + " after " + why + "; " + s
	} else {
		s += " after " + why
	}
	if len(probs) > 0 {
		s += fmt.Sprintf("; %d problems, first: %s", len(probs), probs[0])
	}
	return s
}

// list names up to three destinations: "10.200.1.0/24 and 4 more".
func list(ps []netip.Prefix) string {
	const most = 3
	names := make([]string, 0, most)
	for _, p := range ps[:min(len(ps), most)] {
		names = append(names, p.String())
	}
	s := strings.Join(names, ", ")
	if len(ps) > most {
		s += fmt.Sprintf(" and %d more", len(ps)-most)
	}
	return s
}

// flatten splits a joined error into its messages, one problem each.
func flatten(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// recorder remembers the destinations a pass's writes fixed.
type recorder struct {
	restored, pruned []netip.Prefix
	writes           int
}

func (r *recorder) wrote(w reconcile.Write) {
	r.writes++
	if w.Op == reconcile.Delete {
		r.pruned = append(r.pruned, w.Route.Dst)
	} else {
		r.restored = append(r.restored, w.Route.Dst)
	}
}

// backoff re-runs a failed pass after 1 s, then after twice as long each
// time, up to maxRetry, while passes keep failing.
type backoff struct {
	timer *time.Timer
	next  time.Duration
}

func (b *backoff) arm() {
	if b.timer != nil {
		return
	}
	b.next = min(max(2*b.next, time.Second), maxRetry)
	b.timer = time.NewTimer(b.next)
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
	return b.timer.C
}
