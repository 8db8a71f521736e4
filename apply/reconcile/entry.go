package reconcile

import (
	"slices"

	"github.com/podroutes/podroutes/internal/route"
)

// What the plan knows of each entry, worked out from its routes when asked.

// routes are the kernel's routes to e's destination.
func (p *Plan) routes(e entry) []Route { return p.have[e.from:e.to] }

// wanted is e's wanted route and peer; the zero Want for a stale entry.
func (p *Plan) wanted(e entry) Want {
	if e.want < 0 {
		return Want{}
	}
	return p.want[e.want]
}

// writes appends e's writes to ws: adds and replaces before deletes. A
// Held entry has none unless the plan takes the destination over.
func (p *Plan) writes(ws []Write, e entry) []Write {
	w, rs := p.wanted(e), p.routes(e)
	switch e.state {
	case Missing:
		return append(ws, Write{Add, w.Route})
	case Different:
		return converge(ws, w, rs)
	case Held:
		if p.force {
			return converge(ws, w, rs)
		}
	case Stale:
		for _, r := range rs {
			if r.Protocol == route.Owner {
				ws = append(ws, Write{Delete, r})
			}
		}
	}
	return ws
}

// fixes reports whether e has writes.
func (p *Plan) fixes(e entry) bool {
	var buf [4]Write
	return len(p.writes(buf[:0], e)) > 0
}

// detail says how a Different entry's route differs ("different gateway").
func (p *Plan) detail(e entry) string {
	w := p.wanted(e)
	return difference(closest(w, p.routes(e)), w.Route, w.Link)
}

// why explains a change in the log.
func (p *Plan) why(e entry) string {
	peer := p.wanted(e).Peer
	switch e.state {
	case Stale:
		return p.reason
	case Held:
		return join(peer, "taken over from another owner")
	case Different:
		return join(peer, "was "+p.detail(e))
	}
	return peer
}

// join joins two parts of a comment, either of which may be empty.
func join(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + ", " + b
}

// closest is the route of rs that the wanted route w would replace.
func closest(w Want, rs []Route) Route {
	for _, r := range rs {
		if w.satisfied(r) {
			return r
		}
	}
	for _, r := range rs {
		if SameKey(r, w.Route) {
			return r
		}
	}
	return rs[0]
}

// converge appends to ws the writes that leave w as the only route to its
// destination, given the routes rs there now: keep w if it is there, else
// replace the route the kernel keys as w (destination, metric, no TOS or
// source: it swaps it in one step, so traffic never lacks a route), else
// add w; then delete the rest.
func converge(ws []Write, w Want, rs []Route) []Write {
	keep := slices.IndexFunc(rs, w.satisfied)
	if keep < 0 {
		// The kernel replaces the first route with w's key.
		keep = slices.IndexFunc(rs, func(r Route) bool { return SameKey(r, w.Route) })
		op := Add
		if keep >= 0 {
			op = Replace
		}
		ws = append(ws, Write{op, w.Route})
	}
	for i, r := range rs {
		// A route that a delete would confuse with w stays: the kernel
		// would delete w instead.
		if i != keep && !deleteMatches(r, w.Route) {
			ws = append(ws, Write{Delete, r})
		}
	}
	return ws
}

// deleteMatches reports whether the kernel, asked to delete r, could
// delete w instead: it deletes the first route at r's key whose protocol
// and type are r's and whose gateway and device are those the delete
// names (a multipath delete is matched on its first hop). A route
// without a gateway names none, so it matches w whatever w's gateway; w
// without a device (left to the kernel) may have any. Where w is held in
// a nexthop object the kernel would tell them apart; this errs the safe
// way, keeping r.
func deleteMatches(r, w Route) bool {
	if !SameKey(r, w) || r.Protocol != w.Protocol || r.Type != w.Type {
		return false
	}
	gw, dev := r.Gw, r.Dev
	if len(r.Hops) > 0 {
		gw, dev = r.Hops[0].Gw, r.Hops[0].Dev
	}
	return (!gw.IsValid() || gw == w.Gw) && (dev == "" || w.Dev == "" || dev == w.Dev)
}
