package reconcile

import (
	"fmt"
	"io"
	"net/netip"
	"slices"

	"github.com/podroutes/podroutes/internal/route"
)

// WriteReport prints every entry with its state, one route a line, in the
// style of `ip route` (what `podroutes check` shows):
//
//	in place  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1
func (p Plan) WriteReport(w io.Writer) error {
	for _, e := range p.entries {
		var err error
		want, rs := p.wanted(e), p.routes(e)
		switch e.state {
		case InPlace:
			_, err = fmt.Fprintf(w, "%s  %s%s\n", e.state, rs[0], comment(want.Peer))
		case Unreachable:
			_, err = fmt.Fprintf(w, "%s  %s%s\n", e.state, rs[0],
				comment(join(want.Peer, "no up link has an address on "+want.Route.Gw.String()+"'s subnet")))
		case Stale:
			for _, r := range rs {
				if r.Protocol != route.Owner {
					continue
				}
				if _, err = fmt.Fprintf(w, "%s  %s%s\n", e.state, r, comment(p.reason)); err != nil {
					break
				}
			}
		default:
			label, shown := e.state.String(), want.Route
			if e.state == Different {
				label = p.detail(e)
				if shown.Dev == "" && label == "different device" {
					shown.Dev = want.Link // where it must go: the link reaching the gateway now
				}
			}
			_, err = fmt.Fprintf(w, "%s  %s%s\n", label, shown, comment(want.Peer))
			for _, r := range rs {
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
		if e.state != Held || p.fixes(e) {
			continue
		}
		want := p.wanted(e)
		for _, r := range p.routes(e) {
			if r.Protocol != route.Owner {
				errs = append(errs, fmt.Errorf("route %s%s: another owner (%s) holds the destination: %s; left alone, --force takes it over",
					want.Route.Short(), peer(want.Peer), r.Protocol, r))
			}
		}
	}
	return errs
}

// Lookups are the wanted destinations podroutes does not hold as wanted
// (missing, or its route there differs): where another owner's route may
// be in the way, for Kernel.Holders to look up. A destination held as
// wanted needs no look: a route of another owner that took it over would
// have its own change event, which watch looks at, as its periodic resync
// looks everywhere.
func (p Plan) Lookups() []netip.Prefix {
	var dsts []netip.Prefix
	for _, e := range p.entries {
		if e.want >= 0 && (e.state == Missing || e.state == Different) {
			dsts = append(dsts, p.want[e.want].Route.Dst)
		}
	}
	return dsts
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
