package reconcile

import (
	"bufio"
	"fmt"
	"io"
	"slices"

	"github.com/podroutes/podroutes/internal/route"
)

// WriteReport prints every entry with its state, one route a line, in the
// style of `ip route` (what `podroutes check` shows):
//
//	in place  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1
//
// A route that is in place, stale or unreachable is shown as the kernel
// has it; any other as wanted, followed by the kernel's routes to its
// destination.
func (p Plan) WriteReport(out io.Writer) error {
	return p.printLines(out, func(w io.Writer) func(line) error {
		return func(l line) error {
			shown, kernel := l.want, l.kernel
			if l.asKernel() {
				shown, kernel = l.kernel[0], nil
			}
			if _, err := fmt.Fprintf(w, "%s  %s%s\n", l.label, shown, comment(join(l.peer, l.note))); err != nil {
				return err
			}
			for _, r := range kernel {
				if _, err := fmt.Fprintf(w, "  kernel has  %s\n", r); err != nil {
					return err
				}
			}
			return nil
		}
	})
}

// printLines prints the report's lines (report) through a buffer in front
// of out (buffered) with the printer start makes for that buffer.
func (p Plan) printLines(out io.Writer, start func(w io.Writer) func(line) error) error {
	return buffered(out, func(w io.Writer) error { return p.report(start(w)) })
}

// buffered runs print with a buffer in front of out, flushed at the end: a
// report of 5000 routes in a few writes, not 5000.
func buffered(out io.Writer, print func(w io.Writer) error) error {
	w := bufio.NewWriter(out)
	if err := print(w); err != nil {
		return err
	}
	return w.Flush()
}

// line is one route of a report: what check says of it.
type line struct {
	state State
	// label is the state in check's words: "different gateway" rather
	// than "different".
	label string
	// want is the wanted route as check shows it (its device is the link
	// it must leave by, when that is what differs); zero for a stale one.
	want Route
	// peer is the wanted route's; note says more (why a route is stale,
	// why a gateway is unreachable, also of a route missing or different).
	peer, note string
	// kernel are the kernel's routes to the destination; for a stale
	// line, the one of podroutes' it is about.
	kernel []Route
}

// asKernel reports whether the text report shows l as the kernel has it:
// the kernel's route is the one in question, with nothing to compare.
func (l line) asKernel() bool {
	return l.state == InPlace || l.state == Unreachable || l.state == Stale
}

// report calls f with each line of the report, in the plan's order: one
// per wanted destination, and one per stale route of podroutes'.
func (p Plan) report(f func(line) error) error {
	for _, e := range p.entries {
		want, rs := p.wanted(e), p.routes(e)
		l := line{state: e.state, label: e.state.String(), want: want.Route, peer: want.Peer, kernel: rs}
		if want.Unreachable && e.state != Unreachable && e.state != LeftOut {
			// Missing or different, and no write can fix it yet.
			l.note = "gateway unreachable: " + noLink(want.Route)
		}
		switch e.state {
		case Unreachable:
			l.note = noLink(want.Route)
		case Different:
			l.label = p.detail(e)
			if l.want.Dev == "" && l.label == "different device" {
				l.want.Dev = want.Link // where it must go: the link reaching the gateway now
			}
		case LeftOut:
			l.note = p.omitted[e.want]
		case Stale:
			l.note = p.reason
			for i, r := range rs {
				if r.Protocol != route.Owner {
					continue
				}
				l.kernel = rs[i : i+1]
				if err := f(l); err != nil {
					return err
				}
			}
			continue
		}
		if err := f(l); err != nil {
			return err
		}
	}
	return nil
}

// noLink says why no link reaches r's gateway.
func noLink(r Route) string {
	return "no up link has an address on " + r.Gw.String() + "'s subnet"
}

// WriteWrites prints the writes the plan makes, one a line (what
// `podroutes apply --dry-run` shows), and the destinations it leaves to
// another owner.
func (p Plan) WriteWrites(out io.Writer) error {
	return buffered(out, p.writeWrites)
}

func (p Plan) writeWrites(w io.Writer) error {
	var ws []Write
	for _, e := range p.entries {
		ws = p.writes(ws[:0], e)
		if e.state == Held && len(ws) == 0 {
			if _, err := fmt.Fprintf(w, "leave    %s  # held by another owner\n", p.wanted(e).Route); err != nil {
				return err
			}
		}
		for _, wr := range ws {
			if _, err := fmt.Fprintf(w, "%-8s %s%s\n", wr.Op, wr.Route, comment(p.why(e))); err != nil {
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
	return !slices.ContainsFunc(p.entries, func(e entry) bool { return e.state != InPlace })
}

// Conflicts returns one error per destination another owner holds that the
// plan leaves alone, naming their route and its owner; nil if there is none.
func (p Plan) Conflicts() []error {
	var errs []error
	for _, e := range p.entries {
		want := p.wanted(e)
		for _, r := range p.left(e) {
			errs = append(errs, fmt.Errorf("route %s%s: podroutes' route %s is left: the kernel, asked to delete it, would delete the wanted route, ahead of it at the same key, instead",
				want.Route.Short(), peer(want.Peer), r))
		}
		if e.state != Held || p.fixes(e) {
			continue
		}
		for _, r := range p.routes(e) {
			if r.Protocol == route.Owner && !ours(r) {
				errs = append(errs, fmt.Errorf("route %s%s: the destination has an IPv6 multipath route, whose hops may be other owners' (the kernel merges their routes into podroutes'): %s; left alone, --force takes it over",
					want.Route.Short(), peer(want.Peer), r))
			} else if !ours(r) {
				errs = append(errs, fmt.Errorf("route %s%s: another owner (%s) holds the destination: %s; left alone, --force takes it over",
					want.Route.Short(), peer(want.Peer), r.Protocol, r))
			}
		}
	}
	return errs
}

// Writes counts the plan's kernel writes.
func (p Plan) Writes() int {
	n := 0
	var ws []Write
	for _, e := range p.entries {
		ws = p.writes(ws[:0], e)
		n += len(ws)
	}
	return n
}

func peer(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}
