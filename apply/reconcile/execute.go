package reconcile

import (
	"errors"
	"fmt"
)

// Logger receives one line per change, for a person.
type Logger interface {
	Infof(format string, args ...any)
}

// Result is what Execute reached.
type Result struct {
	// InPlace counts the wanted routes in place afterwards.
	InPlace int
	// Added, Replaced and Pruned count destinations fixed by adding a
	// route, by changing (or taking over) one, and by deleting stale ones.
	Added, Replaced, Pruned int
	// Errs are the writes that failed and the conflicts left alone.
	Errs []error
}

// Err joins the result's errors; nil when everything is in place.
func (r Result) Err() error { return errors.Join(r.Errs...) }

// Status summarizes the result for systemd's STATUS=.
func (r Result) Status() string {
	noun := "routes"
	if r.InPlace == 1 {
		noun = "route"
	}
	return fmt.Sprintf("%d %s in place: %d added, %d replaced, %d pruned", r.InPlace, noun, r.Added, r.Replaced, r.Pruned)
}

// Execute makes the plan's writes: first every add and replace, then the
// deletes of the destinations whose add or replace worked, so that a route
// is never deleted before its successor is in; each of the two as one batch
// when k is a Batcher, which then finishes. A failed write does not stop the
// others; the result counts what was reached and holds every failure and
// every conflict.
func Execute(k Kernel, p Plan, log Logger) Result {
	var res Result
	failed := make([]bool, len(p.Entries))
	for _, deletes := range []bool{false, true} {
		var ws []Write
		var of []int // the entry of each write
		for i, e := range p.Entries {
			if deletes && failed[i] {
				continue // keep the old route: its successor is not in
			}
			for _, w := range e.Writes {
				if (w.Op == Delete) == deletes {
					ws, of = append(ws, w), append(of, i)
				}
			}
		}
		for j, err := range writeAll(k, ws, log) {
			w, e := ws[j], p.Entries[of[j]]
			if err != nil {
				res.Errs = append(res.Errs, fmt.Errorf("%s route %s%s: %w", verbs[w.Op].doing, w.Route.Short(), peer(e.Want.Peer), err))
				failed[of[j]] = true
				continue
			}
			log.Infof("%s %s%s", verbs[w.Op].done, w.Route, comment(why(e)))
		}
	}
	if b, ok := k.(Batcher); ok {
		if err := b.Finish(log); err != nil {
			res.Errs = append(res.Errs, err)
		}
	}
	for i, e := range p.Entries {
		res.count(e, failed[i])
	}
	res.Errs = append(res.Errs, p.Conflicts()...)
	return res
}

// writeAll makes the writes, as one batch if k can, and returns each one's
// error.
func writeAll(k Kernel, ws []Write, log Logger) []error {
	if b, ok := k.(Batcher); ok && len(ws) > 0 {
		return b.WriteBatch(ws, log)
	}
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = write(k, w)
	}
	return errs
}

func (r *Result) count(e Entry, failed bool) {
	switch {
	case e.State == InPlace:
		r.InPlace++
	case failed || len(e.Writes) == 0:
	case e.State == Stale:
		r.Pruned++
	case e.State == Missing:
		r.Added++
		r.InPlace++
	default:
		r.Replaced++
		r.InPlace++
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

// why explains a change in the log.
func why(e Entry) string {
	switch e.State {
	case Stale:
		return e.Reason
	case Held:
		return join(e.Want.Peer, "taken over from another owner")
	case Different:
		return join(e.Want.Peer, "was "+e.Detail)
	}
	return e.Want.Peer
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
