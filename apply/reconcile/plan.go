package reconcile

import (
	"context"
	"slices"

	"github.com/podroutes/podroutes/internal/route"
)

// State is how a destination in the kernel compares with the config.
type State uint8

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
	// Unreachable: the wanted route is there, but no link reaches its
	// gateway any more (its address moved or went away, its device is
	// down): it carries no traffic, and no write can mend it until a link
	// reaches the gateway again.
	Unreachable
	// LeftOut: wanted, but the host's links make the route wrong (its
	// destination is a subnet the host is on, its gateway one of the
	// host's addresses), or it would take the host's way to its API
	// server, so it is left out (Plan.Omit): not written, and
	// a route of podroutes' there is deleted.
	LeftOut
	// NumStates is the number of states.
	NumStates = iota
)

var stateNames = [...]string{"in place", "missing", "different", "held by another owner", "stale", "gateway unreachable", "left out"}

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

// Want is a route the config asks for, the peer it leads to, and how the
// host reaches its gateway now.
type Want struct {
	Route Route
	Peer  string
	// Link is the link the route must leave by when the config leaves the
	// device to podroutes: the one the host reaches the gateway on now
	// (gateway.Via). "" when unknown: then any device will do.
	Link string
	// Unreachable: no link reaches the gateway now.
	Unreachable bool
}

// satisfied reports whether the kernel route r is w, leaving by w's link.
func (w Want) satisfied(r Route) bool {
	return r.Satisfies(w.Route) && (w.Link == "" || r.Dev == w.Link)
}

// written reports whether the kernel route r is w as a plan writes it:
// satisfied, and where the writes carry their gateway (inline), not
// through a nexthop object. Those are written inline where
// systemd-networkd installs the same routes, and networkd adopts only a
// route the same as its own to the kernel: beside one through a nexthop
// object it adds its own, so such a route must be rewritten, not kept.
func (w Want) written(r Route, inline bool) bool {
	return w.satisfied(r) && !(inline && r.NH != 0)
}

// Plan is every wanted destination and every stale one, sorted by key
// (route.Key: table, then destination). It refers
// to the wanted and the kernel's routes it was made from (which must not
// change while it is used) and works out each destination's writes when
// they are made or printed, so that it costs a few bytes a destination.
type Plan struct {
	want []Want
	// have are the kernel's routes sorted by key, stable: those with one
	// key are next to each other, in the kernel's order.
	have    []Route
	entries []entry
	// force takes over the destinations other owners hold.
	force bool
	// inline: the writes will carry their gateways (Inline).
	inline bool
	// reason says why a stale route goes ("no longer in the config").
	reason string
	// omitted says why each wanted route left out (Omit) is, by its index
	// in want.
	omitted map[int32]string
}

// entry is one destination: its state, the wanted route (want[want], none
// when -1: stale) and the kernel's routes to it (have[from:to]).
type entry struct {
	state    State
	want     int32
	from, to int32
}

// Diff compares the wanted routes with the kernel's main table (have) and
// plans the writes that make them match. Routes of other owners are never
// written, except that with force a wanted destination another owner holds
// is taken over (theirs deleted, ours added).
func Diff(want []Want, have []Route, force bool) Plan {
	p := Plan{want: want, have: sortedByKey(have), force: force, reason: "no longer in the config"}
	p.entries = make([]entry, 0, len(want))
	h := 0
	for _, i := range wantOrder(want) {
		w := &want[i].Route
		for h < len(p.have) && keyOrder(&p.have[h], w) < 0 {
			h = p.stale(h)
		}
		// A second want of one key finds no route: h is past them.
		e := entry{want: i, from: int32(h), to: int32(p.group(h, w))}
		h = int(e.to)
		e.state = state(want[i], p.have[e.from:e.to])
		p.entries = append(p.entries, e)
	}
	for h < len(p.have) {
		h = p.stale(h)
	}
	return p
}

// Have reads what Diff needs of k for want: podroutes' own routes, and the
// route the kernel uses for each wanted destination where another owner's
// wins (a fib match a destination, pipelined: Kernel.Winners). Every
// wanted destination is looked up, whether or not podroutes' route is
// there as wanted: another owner's route with a lower metric, added after
// podroutes' own, takes the traffic, and the verdict must not depend on
// the order the two came in. What podroutes owns and what is in its way,
// never the table: the cost follows the wanted routes, not the table's
// size.
func Have(ctx context.Context, k Kernel, want []Want) ([]Route, error) {
	ours, err := k.Routes(ctx)
	if err != nil {
		return nil, err
	}
	look := k.Winners
	if o, ok := k.(OtherWinners); ok {
		look = o.OtherWinners
	}
	won, err := look(ctx, Keys(want))
	if err != nil {
		return nil, err
	}
	for _, r := range won {
		if r.Protocol != route.Owner { // podroutes' own are in ours already
			ours = append(ours, r)
		}
	}
	return ours, nil
}

// OtherWinners is a Kernel that looks up only the routes of other owners
// that win at keys, leaving podroutes' own unread (kernel.Kernel): what
// Have needs of every wanted destination, where Routes has podroutes'.
type OtherWinners interface {
	OtherWinners(ctx context.Context, keys []route.Key) ([]Route, error)
}

// Keys lists the keys of want's routes, each once, sorted.
func Keys(want []Want) []route.Key {
	ks := make([]route.Key, len(want))
	for i, w := range want {
		ks[i] = w.Route.Key()
	}
	slices.SortFunc(ks, route.Key.Compare)
	return slices.Compact(ks)
}

// Inline returns p for a kernel that writes every route with its gateway
// (no nexthop objects): where the kernel replaces, and what a delete
// takes, depend on it, and a route of podroutes' through a nexthop object
// is no longer in place but Different (Want.written).
func (p Plan) Inline() Plan {
	p.inline = true
	cloned := false
	for i, e := range p.entries {
		if e.state == InPlace && !p.wanted(e).written(p.routes(e)[0], true) {
			if !cloned { // p's caller keeps its own
				p.entries, cloned = slices.Clone(p.entries), true
			}
			p.entries[i].state = Different
		}
	}
	return p
}

// Omitted is a wanted route left out of a plan, and why.
type Omitted struct {
	Want Want
	Why  string
}

// Omit returns p with the routes of out wanted but left out
// (apply.Options.LeaveOut), each an entry of state LeftOut: it shows in
// the report, with why, and counts in the result; podroutes' routes to
// its destination, which the plan found stale, go as "left out". p's
// wanted routes must not include them.
func (p Plan) Omit(out []Omitted) Plan {
	if len(out) == 0 {
		return p
	}
	stale := make(map[route.Key]int, len(out)) // the stale entries, by key
	for i, e := range p.entries {
		if e.want < 0 {
			stale[p.have[e.from].Key()] = i
		}
	}
	p.want, p.entries = slices.Clip(p.want), slices.Clone(p.entries) // p's caller keeps its own
	p.omitted = make(map[int32]string, len(out))
	for _, o := range out {
		i := int32(len(p.want))
		p.want, p.omitted[i] = append(p.want, o.Want), o.Why
		if k, ok := stale[o.Want.Route.Key()]; ok {
			p.entries[k].state, p.entries[k].want = LeftOut, i
			continue
		}
		p.entries = append(p.entries, entry{state: LeftOut, want: i})
	}
	slices.SortStableFunc(p.entries, func(a, b entry) int { return p.key(a).Compare(p.key(b)) })
	return p
}

// key is e's key.
func (p *Plan) key(e entry) route.Key {
	if e.want < 0 {
		return p.have[e.from].Key()
	}
	return p.want[e.want].Route.Key()
}

// Removal plans deleting every route of podroutes' among have.
func Removal(have []Route) Plan {
	p := Plan{have: sortedByKey(have)}
	for h := 0; h < len(p.have); {
		h = p.stale(h)
	}
	return p
}

// stale adds an entry deleting podroutes' routes with the key of
// have[h], if there are any, and returns the index of the next key's
// first route.
func (p *Plan) stale(h int) int {
	end := p.group(h, &p.have[h])
	if slices.ContainsFunc(p.have[h:end], ours) {
		p.entries = append(p.entries, entry{state: Stale, want: -1, from: int32(h), to: int32(end)})
	}
	return end
}

// group returns the end of the run of have's routes with r's key starting
// at h.
func (p *Plan) group(h int, r *Route) int {
	for h < len(p.have) && keyEqual(&p.have[h], r) {
		h++
	}
	return h
}

// state is how the kernel's routes rs to w's destination compare with w.
func state(w Want, rs []Route) State {
	switch {
	case slices.ContainsFunc(rs, func(r Route) bool { return !ours(r) }):
		return Held
	case len(rs) == 0:
		return Missing
	case len(rs) == 1 && w.Unreachable && rs[0].Satisfies(w.Route):
		return Unreachable
	case len(rs) == 1 && w.satisfied(rs[0]):
		return InPlace
	}
	return Different
}

// ours reports whether r is podroutes' own route. An IPv6 multipath
// route is never wholly known to be: the kernel makes routes with inline
// gateways appended at one key siblings of one multipath route, whatever
// their protocols, and dumps it with the first one's protocol; a replace
// or delete of it takes every sibling. podroutes never makes one.
func ours(r Route) bool {
	return r.Protocol == route.Owner && !(len(r.Hops) > 0 && r.Dst.Addr().Is6())
}

// sortedByKey returns have if it is sorted by key (a dump usually is),
// else a copy sorted stably.
func sortedByKey(have []Route) []Route {
	byKey := func(a, b Route) int { return keyOrder(&a, &b) }
	if slices.IsSortedFunc(have, byKey) {
		return have
	}
	have = slices.Clone(have)
	slices.SortStableFunc(have, byKey)
	return have
}

// wantOrder lists want's indexes sorted stably by key (a config's routes
// usually come sorted).
func wantOrder(want []Want) []int32 {
	order := make([]int32, len(want))
	for i := range order {
		order[i] = int32(i)
	}
	byKey := func(a, b int32) int { return keyOrder(&want[a].Route, &want[b].Route) }
	if !slices.IsSortedFunc(order, byKey) {
		slices.SortStableFunc(order, byKey)
	}
	return order
}
