package reconcile

import (
	"fmt"
	"io"
	"slices"
)

// WriteReport prints every entry with its state, one route a line, in the
// style of `ip route` (what `podroutes check` shows):
//
//	in place  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1
func (p Plan) WriteReport(w io.Writer) error {
	for _, e := range p.Entries {
		var err error
		switch e.State {
		case InPlace:
			_, err = fmt.Fprintf(w, "%s  %s%s\n", e.State, e.Have[0], comment(e.Want.Peer))
		case Stale:
			for _, r := range e.Have {
				if _, err = fmt.Fprintf(w, "%s  %s%s\n", e.State, r, comment(e.Reason)); err != nil {
					break
				}
			}
		default:
			label := e.State.String()
			if e.State == Different {
				label = e.Detail
			}
			_, err = fmt.Fprintf(w, "%s  %s%s\n", label, e.Want.Route, comment(e.Want.Peer))
			for _, r := range e.Have {
				if err == nil {
					_, err = fmt.Fprintf(w, "  kernel has  %s\n", r)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteWrites prints the writes the plan makes, one a line (what
// `podroutes apply --dry-run` shows), and the destinations it leaves to
// another owner.
func (p Plan) WriteWrites(w io.Writer) error {
	for _, e := range p.Entries {
		if e.State == Held && len(e.Writes) == 0 {
			if _, err := fmt.Fprintf(w, "leave    %s  # held by another owner\n", e.Want.Route); err != nil {
				return err
			}
		}
		for _, wr := range e.Writes {
			if _, err := fmt.Fprintf(w, "%-8s %s%s\n", wr.Op, wr.Route, comment(why(e))); err != nil {
				return err
			}
		}
	}
	return nil
}

func comment(s string) string {
	if s == "" {
		return ""
	}
	return "  # " + s
}

// InSync reports whether every entry is in place.
func (p Plan) InSync() bool {
	return !slices.ContainsFunc(p.Entries, func(e Entry) bool { return e.State != InPlace })
}

// Conflicts returns one error per destination another owner holds that the
// plan leaves alone, naming their route and its owner; nil if there is none.
func (p Plan) Conflicts() []error {
	var errs []error
	for _, e := range p.Entries {
		if e.State != Held || len(e.Writes) > 0 {
			continue
		}
		for _, r := range e.Have {
			if r.Protocol != Owner {
				errs = append(errs, fmt.Errorf("route %s%s: another owner (%s) holds the destination: %s; left alone, --force takes it over",
					e.Want.Route.Short(), peer(e.Want.Peer), r.Protocol, r))
			}
		}
	}
	return errs
}

// Writes counts the plan's kernel writes.
func (p Plan) Writes() int {
	n := 0
	for _, e := range p.Entries {
		n += len(e.Writes)
	}
	return n
}

func peer(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}
