package reconcile

import "slices"

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
		return converge(ws, w, rs, p.inline)
	case Held:
		if p.force {
			return converge(ws, w, rs, p.inline)
		}
	case Stale, LeftOut:
		for _, r := range rs {
			if ours(r) {
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

// detail says how a Different entry's route differs ("different gateway")
// from the route w is, or takes the place of (target), else the first.
func (p *Plan) detail(e entry) string {
	w, rs := p.wanted(e), p.routes(e)
	closest := rs[0]
	if keep, _ := target(w, rs, p.inline); keep >= 0 {
		closest = rs[keep]
	}
	if p.inline && closest.NH != 0 && w.satisfied(closest) {
		return "through a nexthop object" // written is all it falls short of
	}
	return difference(closest, w.Route, w.Link)
}

// why explains a change in the log.
func (p *Plan) why(e entry) string {
	peer := p.wanted(e).Peer
	switch e.state {
	case Stale:
		return p.reason
	case LeftOut:
		return join(peer, "left out")
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

// converge appends to ws the writes that leave w as the only route to its
// destination, given the routes rs there now: keep w if it is there, else
// replace the route the kernel keys as w (destination, metric, no TOS or
// source: it swaps it in one step, so traffic never lacks a route), else
// add w; then delete the rest, but those a delete would confuse with w
// (blocked). inline says w will carry its gateway (Plan.Inline).
func converge(ws []Write, w Want, rs []Route, inline bool) []Write {
	keep, op := target(w, rs, inline)
	if op >= 0 {
		ws = append(ws, Write{op, w.Route})
	}
	for i, r := range rs {
		if i != keep && !blocked(w, rs, keep, i, inline) {
			ws = append(ws, Write{Delete, r})
		}
	}
	return ws
}

// target is the route of rs that w is, or that w's write takes the place
// of (-1 for none), and that write (-1 for none: w is there).
func target(w Want, rs []Route, inline bool) (int, Op) {
	if keep := slices.IndexFunc(rs, func(r Route) bool { return w.written(r, inline) }); keep >= 0 {
		return keep, -1
	}
	// IPv4 (fib_table_insert) replaces the first route with w's key.
	// IPv6 (fib6_add_rt2) replaces the first whose multipath-ness is w's
	// (a route through a nexthop object, as podroutes writes w unless
	// inline, is never part of a multipath route; one with an inline
	// gateway can be), and only if there is none, the first.
	same := func(r Route) bool { return SameKey(r, w.Route) }
	keep := -1
	if w.Route.Dst.Addr().Is6() {
		multi := inline && ecmp(w.Route)
		keep = slices.IndexFunc(rs, func(r Route) bool { return same(r) && ecmp(r) == multi })
	} else {
		// Another owner's route in rs is the one the lookup found
		// (Winners): IPv4 uses the first route at a key, so at w's key it
		// is ahead of any of podroutes' there, whatever rs's order.
		keep = slices.IndexFunc(rs, func(r Route) bool { return same(r) && !ours(r) })
	}
	if keep < 0 {
		keep = slices.IndexFunc(rs, same)
	}
	if keep < 0 {
		return -1, Add
	}
	return keep, Replace
}

// ecmp reports whether IPv6 makes r a sibling of a multipath route
// (rt6_qualify_for_ecmp): a unicast route with an inline gateway.
func ecmp(r Route) bool {
	return r.NH == 0 && (r.Gw.IsValid() || len(r.Hops) > 0) && r.Kind() == typeUnicast
}

// blocked reports whether deleting rs[i] could delete w instead: the
// kernel deletes the first route at the key that the delete does not rule
// out (deleteTakes), and w is ahead of rs[i], kept at keep or written
// there (or, when added, placed by its metric). Then rs[i] stays, and
// Conflicts says why. Unless inline, w may be written either way (the
// kernel may refuse its nexthop object): both must be safe.
func blocked(w Want, rs []Route, keep, i int, inline bool) bool {
	takes := func(d, replaced Route) bool {
		return deleteTakes(d, asInline(w.Route, replaced)) || !inline && deleteTakes(d, viaNexthop(w.Route))
	}
	// w is ahead of rs[i] if its place is: an IPv4 route of another
	// owner that w replaces was the lookup's winner, first at its key
	// (target).
	ahead := keep >= 0 && (keep < i || !ours(rs[keep]) && rs[keep].Dst.Addr().Is4())
	if keep >= 0 && !w.written(rs[keep], inline) {
		// Replaced by w, which may be inline or through a nexthop object.
		return ahead && takes(rs[i], rs[keep])
	}
	if keep >= 0 {
		return ahead && deleteTakes(rs[i], rs[keep])
	}
	// Added: the kernel keeps the routes to a prefix sorted by metric.
	before := !slices.ContainsFunc(rs[:i+1], func(r Route) bool { return r.Metric > w.Route.Metric })
	return before && takes(rs[i], Route{})
}

// asInline is w as the kernel would hold it with its gateway inline,
// on the device of the route it replaces when w leaves it to the kernel.
func asInline(w, replaced Route) Route {
	if w.Dev == "" {
		w.Dev = replaced.Dev
	}
	return w
}

// viaNexthop is w as the kernel holds it through a nexthop object.
func viaNexthop(w Route) Route {
	w.NH = ^uint32(0)
	return w
}

// deleteTakes reports whether a delete of d, as kernel.Kernel sends it,
// takes the route x when the kernel meets x first among the routes to
// d's destination (and source, and TOS): x has d's protocol, and d's
// metric unless that is 0 (a delete without a metric takes any); then
//   - IPv4 (fib_table_delete, fib_nh_match): x has d's type; a delete
//     naming a nexthop object takes a route through that one only; a
//     route through a nexthop object is taken by a delete naming no
//     device, gateway or hops; else x's hops must be d's, or x's (first)
//     gateway and device must be those d names.
//   - IPv6 (ip6_route_del): the type is not looked at; a delete naming a
//     nexthop object takes a route through that one only; a route
//     through a nexthop object is taken by any other delete, whatever
//     gateway or device it names; else x's (first sibling's) device and
//     gateway must be those d names.
func deleteTakes(d, x Route) bool {
	if !keyEqual(&d, &x) || d.source() != x.source() || d.Tos != x.Tos || d.Protocol != x.Protocol ||
		(d.Metric != 0 && d.Metric != x.Metric) {
		return false
	}
	v4 := d.Dst.Addr().Is4()
	if v4 && d.Kind() != x.Kind() {
		return false
	}
	if d.NH != 0 || x.NH != 0 {
		return d.NH == x.NH || (d.NH == 0 && (!v4 || (d.Dev == "" && !d.Gw.IsValid() && len(d.Hops) == 0)))
	}
	if v4 && len(d.Hops) > 0 {
		return slices.EqualFunc(d.Hops, x.Hops, func(a, b Hop) bool { return a.Gw == b.Gw && (a.Dev == "" || a.Dev == b.Dev) })
	}
	gw, dev := x.Gw, x.Dev
	if len(x.Hops) > 0 {
		gw, dev = x.Hops[0].Gw, x.Hops[0].Dev
	}
	return (!d.Gw.IsValid() || d.Gw == gw) && (d.Dev == "" || dev == "" || d.Dev == dev)
}

// left lists the routes to e's destination that converge leaves in place
// beside the wanted one (blocked).
func (p *Plan) left(e entry) []Route {
	if e.state != Different && !(e.state == Held && p.force) {
		return nil
	}
	w, rs := p.wanted(e), p.routes(e)
	keep, _ := target(w, rs, p.inline)
	var left []Route
	for i, r := range rs {
		if i != keep && blocked(w, rs, keep, i, p.inline) {
			left = append(left, r)
		}
	}
	return left
}
