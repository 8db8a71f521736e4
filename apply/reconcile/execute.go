package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/route"
)

// Result is what Execute reached.
type Result struct {
	// InPlace counts the wanted routes in place afterwards.
	InPlace int
	// Added, Replaced and Pruned count destinations fixed by adding a
	// route, by changing (or taking over) one, and by deleting stale ones.
	Added, Replaced, Pruned int
	// Left counts the destinations by the state they are left in: those
	// the writes fixed are InPlace (pruned stale ones are gone), the others,
	// and the LeftOut ones whatever was pruned there, keep the state the
	// plan found. Left[InPlace] == InPlace.
	Left [NumStates]int
	// Final is the state each wanted destination is left in (InPlace when
	// the writes fixed it), in the plan's order: what a heal reached, for
	// a watcher that keeps the states of all.
	Final []Final
	// Errs are the writes that failed and the conflicts left alone.
	Errs []error
	// Paths, when a full pass planned every wanted route, counts them by
	// the path each takes (Path: "direct", "vxlan"); nil for a heal,
	// which planned some only.
	Paths map[string]int
}

// Final is the state a wanted route, by its key, is left in.
type Final struct {
	Key   route.Key
	State State
}

// WriteError is a write the kernel refused, and why.
type WriteError struct {
	Write Write
	Peer  string // the node the route leads to, if known
	Err   error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("%s route %s%s: %v", verbs[e.Write.Op].doing, e.Write.Route.Short(), peer(e.Peer), e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Err joins the result's errors; nil when everything is in place.
func (r Result) Err() error { return errors.Join(r.Errs...) }

// Planned reports whether the result is a plan's, made and run by
// Execute (Final is then set, empty for a config without routes), rather
// than the zero Result of a pass that failed before it could plan (the
// lock, reading the table): that one has nothing to summarize.
func (r Result) Planned() bool { return r.Final != nil }

// Status summarizes the result for systemd's STATUS=.
func (r Result) Status() string {
	return fmt.Sprintf("%s in place: %d added, %d replaced, %d pruned", diag.Count(r.InPlace, "route"), r.Added, r.Replaced, r.Pruned)
}

// chunk is how many writes Execute hands the kernel at a time: enough to
// keep a Batcher's pipeline full, few enough to keep them small in memory
// and to stop within milliseconds when the context is done.
const chunk = 1024

// Execute makes the plan's writes: first every add and replace, then the
// deletes of the destinations whose add or replace worked, so that a route
// is never deleted before its successor is in; each of the two in batches
// of up to chunk writes when k is a Batcher, which then finishes. A failed
// write does not stop the others; the result counts what was reached and
// holds every failure and every conflict. wrote, if not nil, is told of
// each write made.
//
// When ctx is done, Execute stops between two chunks: the writes left are
// counted in one error, and since a delete follows only its successor's
// add, the table then holds only wanted routes and podroutes' stale ones,
// nothing `check` cannot explain; the next run finishes the job.
func Execute(ctx context.Context, k Kernel, p Plan, log logs.Logger, wrote func(Write)) Result {
	var res Result
	failed := make([]bool, len(p.entries))
	found := make([]bool, len(p.entries)) // in place, added by another writer
	var raced []racedAdd
	ws := make([]Write, 0, min(chunk, len(p.entries))+1)
	of := make([]int, 0, cap(ws)) // the entry of each write
	skipped, shown, unlisted := 0, 0, 0
	flush := func() {
		if ctx.Err() != nil {
			skipped += len(ws)
			for _, i := range of {
				failed[i] = true
			}
			ws, of = ws[:0], of[:0]
			return
		}
		// A chunk's lines go to the log at once: one write, not one per
		// route (5000 of them took a seventh of a fresh apply).
		var done strings.Builder
		for j, err := range writeAll(k, ws, log) {
			w, e := ws[j], p.entries[of[j]]
			if err != nil {
				failed[of[j]] = true
				if w.Op == Add && errors.Is(err, syscall.EEXIST) {
					raced = append(raced, racedAdd{of[j], w, err})
				} else {
					res.Errs = append(res.Errs, &WriteError{Write: w, Peer: p.wanted(e).Peer, Err: err})
				}
				continue
			}
			if shown == diag.Listed { // the pass's status line counts them all
				unlisted++
			} else {
				if done.Len() > 0 {
					done.WriteByte('\n')
				}
				fmt.Fprintf(&done, "%s %s%s", verbs[w.Op].done, w.Route, comment(p.why(e)))
				shown++
			}
			if wrote != nil {
				wrote(w)
			}
		}
		if done.Len() > 0 {
			log.Infof("%s", done.String())
		}
		ws, of = ws[:0], of[:0]
	}
	for _, deletes := range []bool{false, true} {
		for i, e := range p.entries {
			if deletes && failed[i] {
				continue // keep the old route: its successor is not in
			}
			n := len(ws)
			ws = p.writes(ws, e)
			for _, w := range ws[n:] {
				if (w.Op == Delete) == deletes {
					ws[n], of = w, append(of, i)
					n++
				}
			}
			if ws = ws[:n]; len(ws) >= chunk {
				flush()
			}
		}
		flush()
		if !deletes && len(raced) > 0 {
			res.Errs = append(res.Errs, p.settle(ctx, k, raced, failed, found, log)...)
		}
	}
	if unlisted > 0 {
		log.Infof("%s", diag.More(unlisted, "write"))
	}
	if b, ok := k.(Batcher); ok {
		if err := b.Finish(log); err != nil {
			res.Errs = append(res.Errs, err)
		}
	}
	res.Final = make([]Final, 0, len(p.want))
	for i, e := range p.entries {
		unfixed := failed[i] || !p.fixes(e)
		if found[i] {
			e.state = InPlace
		}
		res.count(e.state, unfixed)
		if e.want >= 0 {
			final := e.state
			if !unfixed && e.state != LeftOut { // a left-out one's writes delete ours
				final = InPlace
			}
			res.Final = append(res.Final, Final{p.key(e), final})
		}
	}
	res.Errs = append(res.Errs, p.Conflicts()...)
	if skipped > 0 {
		res.Errs = append(res.Errs, fmt.Errorf("interrupted with %s left undone (%s in place; run apply again): %w",
			diag.Count(skipped, "write"), diag.Count(res.InPlace, "route"), ctx.Err()))
	}
	return res
}

// racedAdd is an add the kernel refused with EEXIST: a route to its
// destination at its metric came after the table was read.
type racedAdd struct {
	entry int
	w     Write
	err   error
}

// settle looks up the destinations of the raced adds again. Where the
// route the kernel now uses is the wanted one, another writer added it
// since the table was read (systemd-networkd, with podroutes' drop-in,
// does this at boot): the entry is in place, found, not failed. Else the
// add's error stays, naming what came. The lookup covers only these
// destinations, as a heal's does.
func (p *Plan) settle(ctx context.Context, k Kernel, raced []racedAdd, failed, found []bool, log logs.Logger) []error {
	keys := make([]route.Key, len(raced))
	for i, r := range raced {
		keys[i] = r.w.Route.Key()
	}
	won, lookErr := k.Winners(ctx, keys)
	now := make(map[route.Key]Route, len(won))
	for _, r := range won {
		now[r.Key()] = r
	}
	var errs []error
	var lines strings.Builder
	n := 0 // found
	for _, r := range raced {
		e := p.entries[r.entry]
		w := p.wanted(e)
		got, ok := now[r.w.Route.Key()]
		switch {
		case ok && ours(got) && w.written(got, p.inline):
			failed[r.entry], found[r.entry] = false, true
			if n++; n <= diag.Listed {
				if lines.Len() > 0 {
					lines.WriteByte('\n')
				}
				fmt.Fprintf(&lines, "found %s%s", got, comment(join(w.Peer, "added by another writer since the table was read")))
			}
			continue
		case ok && e.state == Missing: // the plan found no route there
			r.err = fmt.Errorf("%w: since the table was read, another writer added %s", r.err, got)
		case ok:
			r.err = fmt.Errorf("%w: the kernel now uses %s", r.err, got)
		case lookErr != nil:
			r.err = fmt.Errorf("%w (%v)", r.err, lookErr)
		}
		errs = append(errs, &WriteError{Write: r.w, Peer: w.Peer, Err: r.err})
	}
	if n > diag.Listed {
		fmt.Fprintf(&lines, "\n%s", diag.More(n-diag.Listed, "found route"))
	}
	if lines.Len() > 0 {
		log.Infof("%s", lines.String())
	}
	return errs
}

// writeAll makes the writes, as one batch if k can, and returns each one's
// error.
func writeAll(k Kernel, ws []Write, log logs.Logger) []error {
	if b, ok := k.(Batcher); ok && len(ws) > 0 {
		return b.WriteBatch(ws, log)
	}
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = write(k, w)
	}
	return errs
}

// count counts a destination in state s, which the writes did not fix if
// unfixed.
func (r *Result) count(s State, unfixed bool) {
	switch {
	case s == InPlace:
		r.InPlace++
	case s == LeftOut:
		r.Left[s]++
		if !unfixed {
			r.Pruned++ // podroutes' route there is gone
		}
		return
	case unfixed:
		// Unreachable entries have no writes: never fixed here.
		r.Left[s]++
		return
	case s == Stale:
		r.Pruned++
	case s == Missing:
		r.Added++
		r.InPlace++
	default:
		r.Replaced++
		r.InPlace++
	}
	if s != Stale {
		r.Left[InPlace]++
	}
}

var verbs = [...]struct{ doing, done string }{
	Add:     {"adding", "added"},
	Replace: {"replacing", "replaced"},
	Delete:  {"deleting", "deleted"},
}

func write(k Kernel, w Write) error {
	switch w.Op {
	case Add:
		return k.Add(w.Route)
	case Replace:
		return k.Replace(w.Route)
	default:
		return k.Delete(w.Route)
	}
}
