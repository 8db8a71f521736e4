package reconcile

import (
	"cmp"
	"net/netip"
	"slices"
)

// State is how a destination in the kernel compares with the config.
type State int

const (
	// InPlace: the wanted route is there, and no other route to it.
	InPlace State = iota
	// Missing: no route to the destination at all.
	Missing
	// Different: podroutes' route is there, but not as wanted.
	Different
	// Held: another owner (protocol) has a route to the destination.
	Held
	// Stale: podroutes' route to a destination the config no longer wants.
	Stale
)

var stateNames = [...]string{"in place", "missing", "different", "held by another owner", "stale"}

func (s State) String() string { return stateNames[s] }

// Op is a kernel write.
type Op int

const (
	Add Op = iota
	Replace
	Delete
)

var opNames = [...]string{"add", "replace", "delete"}

func (o Op) String() string { return opNames[o] }

// Write is one change to the kernel.
type Write struct {
	Op    Op
	Route Route
}

// Want is a route the config asks for, and the peer it leads to.
type Want struct {
	Route Route
	Peer  string
}

// Entry is one destination: its state and the writes that fix it.
type Entry struct {
	State State
	// Detail says how a Different route differs ("different gateway").
	Detail string
	// Want is the wanted route; its Dst is invalid for a Stale entry.
	Want Want
	// Have are the kernel's routes to the destination (for Stale: ours).
	Have []Route
	// Reason says why a Stale entry goes ("no longer in the config").
	Reason string
	// Writes are the changes, adds and replaces before deletes. A Held
	// entry has none unless the plan takes the destination over.
	Writes []Write
}

// Dst is the entry's destination.
func (e Entry) Dst() netip.Prefix {
	if e.State == Stale {
		return e.Have[0].Dst
	}
	return e.Want.Route.Dst
}

// Plan is every wanted destination and every stale one, sorted.
type Plan struct {
	Entries []Entry
}

// Diff compares the wanted routes with the kernel's main table (have) and
// plans the writes that make them match. Routes of other owners are never
// written, except that with force a wanted destination another owner holds
// is taken over (theirs deleted, ours added).
func Diff(want []Want, have []Route, force bool) Plan {
	byDst := byDestination(have, nil)
	p := Plan{Entries: make([]Entry, 0, len(want))}
	for _, w := range want {
		rs := byDst[w.Route.Dst]
		delete(byDst, w.Route.Dst)
		p.Entries = append(p.Entries, diffOne(w, rs, force))
	}
	p.Entries = append(p.Entries, stale(byDst, "no longer in the config")...)
	p.sort()
	return p
}

// Removal plans deleting podroutes' routes among have whose destination
// selected accepts (nil: all of them).
func Removal(have []Route, selected func(netip.Prefix) bool) Plan {
	p := Plan{Entries: stale(byDestination(have, selected), "")}
	p.sort()
	return p
}

// byDestination groups the routes of have whose destination selected
// accepts (nil: all), keeping their order, in one array for all.
func byDestination(have []Route, selected func(netip.Prefix) bool) map[netip.Prefix][]Route {
	count := make(map[netip.Prefix]int, len(have))
	for _, r := range have {
		if selected == nil || selected(r.Dst) {
			count[r.Dst]++
		}
	}
	byDst := make(map[netip.Prefix][]Route, len(count))
	all := make([]Route, 0, len(have))
	for _, r := range have {
		n := count[r.Dst]
		if n == 0 {
			continue
		}
		rs, ok := byDst[r.Dst]
		if !ok {
			all = all[:len(all)+n]
			rs = all[len(all)-n : len(all)-n : len(all)]
		}
		byDst[r.Dst] = append(rs, r)
	}
	return byDst
}

// sort orders the entries by destination (wants come sorted: often a
// check is all it takes).
func (p Plan) sort() {
	cmp := func(a, b Entry) int { return comparePrefix(a.Dst(), b.Dst()) }
	if !slices.IsSortedFunc(p.Entries, cmp) {
		slices.SortFunc(p.Entries, cmp)
	}
}

// stale plans deleting podroutes' routes in byDst; other owners' are left.
func stale(byDst map[netip.Prefix][]Route, reason string) []Entry {
	var es []Entry
	for _, rs := range byDst {
		ours := slices.DeleteFunc(rs, func(r Route) bool { return r.Protocol != Owner })
		if len(ours) == 0 {
			continue
		}
		e := Entry{State: Stale, Have: ours, Reason: reason}
		for _, r := range ours {
			e.Writes = append(e.Writes, Write{Delete, r})
		}
		es = append(es, e)
	}
	return es
}

// diffOne plans one wanted destination, given the kernel's routes to it.
func diffOne(w Want, rs []Route, force bool) Entry {
	e := Entry{Want: w, Have: rs}
	foreign := slices.ContainsFunc(rs, func(r Route) bool { return r.Protocol != Owner })
	switch {
	case foreign:
		e.State = Held
		if force {
			e.Writes = converge(w.Route, rs)
		}
	case len(rs) == 0:
		e.State = Missing
		e.Writes = []Write{{Add, w.Route}}
	case len(rs) == 1 && rs[0].Satisfies(w.Route):
		e.State = InPlace
	default:
		e.State = Different
		e.Detail = difference(closest(w.Route, rs), w.Route)
		e.Writes = converge(w.Route, rs)
	}
	return e
}

// closest is the route of rs that the wanted route w would replace.
func closest(w Route, rs []Route) Route {
	for _, r := range rs {
		if r.Satisfies(w) {
			return r
		}
	}
	for _, r := range rs {
		if r.Metric == w.Metric {
			return r
		}
	}
	return rs[0]
}

// converge plans the writes that leave w as the only route to its
// destination, given the routes rs there now: keep w if it is there, else
// replace the route at w's metric (the kernel swaps it in one step, so
// traffic never lacks a route), else add w; then delete the rest.
func converge(w Route, rs []Route) []Write {
	var ws []Write
	keep := slices.IndexFunc(rs, func(r Route) bool { return r.Satisfies(w) })
	if keep < 0 {
		// The kernel replaces the first route at w's metric.
		keep = slices.IndexFunc(rs, func(r Route) bool { return r.Metric == w.Metric })
		op := Add
		if keep >= 0 {
			op = Replace
		}
		ws = append(ws, Write{op, w})
	}
	for i, r := range rs {
		// A route that a delete would confuse with w stays: the kernel
		// would delete w instead.
		if i != keep && !deleteMatches(r, w) {
			ws = append(ws, Write{Delete, r})
		}
	}
	return ws
}

// deleteMatches reports whether deleting r would delete the route w.
func deleteMatches(r, w Route) bool {
	return r.Dst == w.Dst && r.Gw == w.Gw && r.Protocol == w.Protocol &&
		r.Metric == w.Metric && (w.Dev == "" || r.Dev == w.Dev)
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}
