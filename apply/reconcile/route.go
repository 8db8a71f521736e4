// Package reconcile decides how to bring the kernel's main routing table to
// the routes a config wants: a pure diff (Diff) into a printable Plan, and its
// execution (Execute) against a small Kernel interface, adds before deletes.
package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/route"
)

// Route is one route of the main table, as podroutes sees it (Key). A wanted
// route is the zero value but for Dst, Gw, Protocol and Metric (and Dev,
// OnLink when the config pins them); the other fields describe routes the
// kernel holds, so that they can be named and deleted exactly.
type Route struct {
	Dst netip.Prefix
	// Src is the source prefix of an IPv6 source-specific route
	// (`ip route ... from SRC`); the zero Prefix for none.
	Src netip.Prefix
	// Tos is the IPv4 TOS the route is for (rtm_tos); 0 for any.
	Tos uint8
	// Type is rtm_type (RTN_BLACKHOLE, RTN_UNREACHABLE...); 0 for unicast.
	Type uint8
	// Scope is rtm_scope: 0 (universe) for routes via a gateway.
	Scope uint8
	// Gw is the gateway; the zero Addr for a route without one.
	Gw netip.Addr
	// Dev is the output interface; "" lets the kernel choose (wanted routes).
	Dev string
	// OnLink is RTNH_F_ONLINK: the gateway is on Dev whatever the addresses.
	OnLink   bool
	Protocol route.Protocol
	Metric   uint32
	// NH is the kernel's nexthop object the route uses (RTA_NH_ID), 0 for
	// a gateway written into the route. Only kernel routes have one; a
	// route counts as in place either way, and String leaves it out.
	NH uint32
	// Hops are the nexthops of a multipath route (another owner's: podroutes
	// never makes one); nil otherwise.
	Hops []Hop
}

// Key is what r is known by: its table and destination. (A pointer
// receiver, unlike Route's other methods: a value receiver inlined in a
// loop copied the whole Route at each call.)
func (r *Route) Key() route.Key { return route.Key{Table: r.table(), Dst: r.Dst} }

// table is the table r is in. Every Route is of the main table: a Kernel
// reads and writes no other.
func (r *Route) table() uint32 { return route.MainTable }

// keyOrder is a.Key().Compare(b.Key()), and keyEqual a.Key() == b.Key(),
// for a plan's sorts and merge, which compare keys 300,000 times for
// 20,000 routes: a Key is too large for registers, and building two at
// each comparison made a no-op Diff a fifth slower.
func keyOrder(a, b *Route) int {
	if ta, tb := a.table(), b.table(); ta != tb {
		return cmp.Compare(ta, tb)
	}
	return route.ComparePrefix(a.Dst, b.Dst)
}

func keyEqual(a, b *Route) bool { return a.table() == b.table() && a.Dst == b.Dst }

// Hop is one nexthop of a multipath route.
type Hop struct {
	Gw     netip.Addr
	Dev    string
	Weight int
}

// Route types and scopes String names (rtnetlink's values).
const (
	typeUnicast = 1
	scopeLink   = 253
	scopeHost   = 254
)

var typeNames = map[uint8]string{
	2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
	7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat", 11: "xresolve",
}

// Kernel is the main routing table. Implementations: kernel.Kernel
// (rtnetlink), fake.Kernel (tests).
type Kernel interface {
	// Routes lists podroutes' routes of the main table (protocol Owner):
	// what podroutes owns, not the whole table.
	Routes(ctx context.Context) ([]Route, error)
	// Winners returns, for each of keys, the route the kernel uses for that
	// key, whoever owns it, if it is a route to exactly its prefix: of the
	// routes for all its traffic (ForAllTraffic), the one with the lowest
	// metric. It looks each key up: Have asks only where it matters, and a
	// heal only where something changed.
	Winners(ctx context.Context, keys []route.Key) ([]Route, error)
	// Add adds r; it fails if a route to r.Dst with r.Metric exists.
	Add(r Route) error
	// Replace replaces the route to r.Dst with r.Metric (whoever owns it) by
	// r, or adds r.
	Replace(r Route) error
	// Delete deletes exactly r: the route with its destination, source,
	// TOS, protocol and metric (and gateway, device or nexthop when set). A
	// route that is already gone is not an error; one that is still there
	// afterwards is.
	Delete(r Route) error
}

// Batcher is a Kernel that makes many writes at once (kernel.Kernel
// pipelines them on its socket). Execute uses it when the Kernel has it.
type Batcher interface {
	// WriteBatch makes the writes in order, each as Add, Replace or Delete
	// would, and returns each one's error (nil: made), one per write.
	WriteBatch(ws []Write, log logs.Logger) []error
	// Finish runs after the last batch and deletes what the writes left
	// unused (kernel.Kernel: its nexthop objects no route uses), logging
	// each deletion.
	Finish(log logs.Logger) error
}

// String prints r the way `ip route` does: type (unless unicast),
// destination, source, TOS, gateway, device, protocol (unless boot),
// scope (unless universe), metric (unless 0), onlink, then each nexthop
// of a multipath route.
func (r Route) String() string {
	var b strings.Builder
	if r.Kind() != typeUnicast {
		if n, ok := typeNames[r.Type]; ok {
			b.WriteString(n + " ")
		} else {
			fmt.Fprintf(&b, "type %d ", r.Type)
		}
	}
	b.WriteString(r.Dst.String())
	if r.source().IsValid() {
		fmt.Fprintf(&b, " from %s", r.Src)
	}
	if r.Tos != 0 {
		fmt.Fprintf(&b, " tos 0x%x", r.Tos)
	}
	if r.Gw.IsValid() {
		fmt.Fprintf(&b, " via %s", r.Gw)
	}
	if r.Dev != "" {
		fmt.Fprintf(&b, " dev %s", r.Dev)
	}
	if r.Protocol != route.Boot {
		fmt.Fprintf(&b, " proto %s", r.Protocol)
	}
	switch r.Scope {
	case scopeLink:
		b.WriteString(" scope link")
	case scopeHost:
		b.WriteString(" scope host")
	}
	if r.Metric != 0 {
		fmt.Fprintf(&b, " metric %d", r.Metric)
	}
	if r.OnLink {
		b.WriteString(" onlink")
	}
	for _, h := range r.Hops {
		b.WriteString(" nexthop")
		if h.Gw.IsValid() {
			fmt.Fprintf(&b, " via %s", h.Gw)
		}
		if h.Dev != "" {
			fmt.Fprintf(&b, " dev %s", h.Dev)
		}
		fmt.Fprintf(&b, " weight %d", h.Weight)
	}
	return b.String()
}

// Short names r in messages: destination and gateway.
func (r Route) Short() string {
	if !r.Gw.IsValid() {
		return r.Dst.String()
	}
	return fmt.Sprintf("%s via %s", r.Dst, r.Gw)
}

// Satisfies reports whether the kernel route r is the wanted route w: w's
// device, when set, must match; everything else must be equal, and r must
// be a plain unicast route for every source and TOS.
func (r Route) Satisfies(w Route) bool {
	return keyEqual(&r, &w) && r.Gw == w.Gw && r.Protocol == w.Protocol &&
		r.Metric == w.Metric && r.OnLink == w.OnLink && (w.Dev == "" || r.Dev == w.Dev) &&
		r.plain()
}

// ForAllTraffic reports whether r is for all the traffic to its
// destination (no TOS, no source prefix), whatever its type: of such routes
// to a destination, the kernel uses the one with the lowest metric.
func ForAllTraffic(r Route) bool { return !r.selective() }

// PickWinners is Kernel.Winners for a Kernel that has the routes rather
// than looking them up: for each of keys, of rs's routes with exactly it
// that are for all its traffic (ForAllTraffic), the one with the lowest
// metric (the first of equals). A key named twice is found once; the
// routes come in the order of keys.
func PickWinners(rs []Route, keys []route.Key) []Route {
	best := make(map[route.Key]int, len(keys)) // the winner's index in rs; -1 for none yet
	for _, k := range keys {
		best[k] = -1
	}
	for i, r := range rs {
		if b, wanted := best[r.Key()]; wanted && ForAllTraffic(r) && (b < 0 || r.Metric < rs[b].Metric) {
			best[r.Key()] = i
		}
	}
	var won []Route
	for _, k := range keys {
		if b := best[k]; b >= 0 {
			won = append(won, rs[b])
			best[k] = -1
		}
	}
	return won
}

// plain reports whether r is what a wanted route is: for all traffic,
// unicast, one nexthop.
func (r Route) plain() bool {
	return r.Kind() == typeUnicast && !r.selective() && len(r.Hops) == 0
}

// Kind is r's rtm_type as the kernel has it: RTN_UNICAST for the zero
// Type, which wanted routes and those read from the kernel share.
func (r Route) Kind() uint8 {
	if r.Type == 0 {
		return typeUnicast
	}
	return r.Type
}

// selective reports whether r is for some traffic only (a TOS or a
// source prefix): the kernel keys such a route apart from a plain one to
// the same destination, in adds, replaces and deletes alike.
func (r Route) selective() bool {
	return r.Tos != 0 || r.source().IsValid()
}

// source is r's source prefix; the zero Prefix for none, as a source of
// length 0 (::/0) is.
func (r Route) source() netip.Prefix {
	if r.Src.Bits() <= 0 {
		return netip.Prefix{}
	}
	return r.Src
}

// SameKey reports whether the kernel takes r and q for one route, which
// an add of one finds taken by the other and a replace of one replaces:
// same key (table and destination), source, TOS and metric.
func SameKey(r, q Route) bool {
	return keyEqual(&r, &q) && r.source() == q.source() && r.Tos == q.Tos && r.Metric == q.Metric
}

// Deletes reports whether r is the route a delete of w names: r has w's
// key (SameKey) and protocol, and w's gateway and device where w has
// them. It is the fake kernel's delete, and how kernel.Kernel confirms a
// route still there after the kernel answered its delete ESRCH. What the
// kernel itself takes for a delete, which a plan must predict, also
// depends on the route's type, hops, nexthop object and place at its key
// (deleteTakes).
func (w Route) Deletes(r Route) bool {
	return SameKey(r, w) && r.Protocol == w.Protocol &&
		(!w.Gw.IsValid() || r.Gw == w.Gw) && (w.Dev == "" || r.Dev == w.Dev)
}

// difference names how the kernel route r falls short of the wanted route
// w, which must leave by link (when link is set).
func difference(r, w Route, link string) string {
	switch {
	case !r.plain():
		return "different kind of route"
	case r.Gw != w.Gw:
		return "different gateway"
	case r.Metric != w.Metric:
		return "different metric"
	case w.Dev != "" && r.Dev != w.Dev, link != "" && r.Dev != link:
		return "different device"
	case r.OnLink != w.OnLink:
		return "different onlink flag"
	}
	return "duplicate"
}
