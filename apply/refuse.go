package apply

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/valid"
)

// RefusedError is a config Apply will not install, whatever the kernel
// says: a default route, or a route that would shadow a subnet the host is
// directly connected to. It is bad input (exit 2), found before any write.
type RefusedError struct {
	Problems []string
}

func (e *RefusedError) Error() string {
	return "refusing the config: " + strings.Join(e.Problems, "; ")
}

// refuseDefault refuses a route to 0.0.0.0/0 or ::/0: podroutes routes pod
// subnets, it never takes over a host's default route.
func refuseDefault(want []reconcile.Want) error {
	var problems []string
	for _, w := range want {
		if w.Route.Dst.Bits() == 0 {
			problems = append(problems, fmt.Sprintf("route %s: a default route", w.Route.Short()))
		}
	}
	return refused(problems)
}

// refusal is a wanted route (want[i]) that the host's links make wrong,
// and why.
type refusal struct {
	i   int
	why string
}

// message names the route and says why.
func (r refusal) message(want []reconcile.Want) string {
	w := want[r.i]
	return fmt.Sprintf("route %s%s: %s", w.Route.Short(), peer(w.Peer), r.why)
}

// connected finds the routes whose destination overlaps the subnet of one
// of the host's own addresses: they would steal traffic from that link.
func connected(want []reconcile.Want, links []gateway.Link) []refusal {
	subnets := subnets(links)
	var bad []refusal
	for i, w := range want {
		if !slices.ContainsFunc(subnets, w.Route.Dst.Overlaps) {
			continue // the usual case, found without a look at every address
		}
		for _, l := range links {
			for _, p := range l.Prefixes {
				if !w.Route.Dst.Overlaps(p.Masked()) {
					continue
				}
				r := refusal{i, fmt.Sprintf("destination overlaps %s on %s, a subnet this host is directly connected to", p.Masked(), l.Name)}
				if !slices.Contains(bad, r) { // two addresses on one subnet: one refusal
					bad = append(bad, r)
				}
			}
		}
	}
	return bad
}

// subnets are the distinct subnets of links' addresses: a pass checks
// every wanted route against each once, not against every address of
// every link (a veth per pod is hundreds of fe80::/64s, which took a
// no-op pass of 5000 routes beside 300 pods 80 ms).
func subnets(links []gateway.Link) []netip.Prefix {
	var ps []netip.Prefix
	for _, l := range links {
		for _, p := range l.Prefixes {
			if m := p.Masked(); !slices.Contains(ps, m) {
				ps = append(ps, m)
			}
		}
	}
	return ps
}

// Kept is an address the host must go on reaching as it does
// (Options.Keep), and what it is, for the message.
type Kept struct {
	Addr netip.Addr
	What string // "the Kubernetes API server's address (...)"
}

// holding finds the routes whose destination holds an address to keep:
// they would take its traffic elsewhere, and with it, for the API
// server's, the very Nodes that would take the route out again.
func holding(want []reconcile.Want, keep []Kept) []refusal {
	var bad []refusal
	for i, w := range want {
		for _, k := range keep {
			if w.Route.Dst.Contains(k.Addr) {
				bad = append(bad, refusal{i, fmt.Sprintf("destination holds %s, %s; the route would cut this host off from it", k.Addr, k.What)})
			}
		}
	}
	return bad
}

// refuse finds, whatever the table holds, the routes that the host's
// links make wrong: a destination it is directly connected to, a gateway
// that is its own address, or a connected subnet's network or broadcast
// address; and those that hold an address to keep. Any of them refuses
// the config (a *RefusedError), as bad input is refused as a whole, unless leaveOut:
// then (Kubernetes, where each Node is an input of its own, and one must
// not hold up the routes to the others) they are left out of the wanted
// routes returned, each returned with why, for the plan (Plan.Omit), and
// each is an error of the pass, retried as the links change.
func refuse(want []reconcile.Want, links []gateway.Link, keep []Kept, node string, o Options) ([]reconcile.Want, []reconcile.Omitted, error) {
	leaveOut := o.LeaveOut
	whose := func(reconcile.Want) string { return otherHost(node, o.Hostname) }
	if leaveOut {
		// A Node with this host's address is this host, found by it
		// unless --node named another, or the address came after the
		// plan.
		whose = func(w reconcile.Want) string {
			if o.Node != "" {
				return fmt.Sprintf("is this host Node %q (--node %q)?", w.Peer, o.Node)
			}
			return fmt.Sprintf("is this host Node %q, not %q? say which with --node", w.Peer, node)
		}
	}
	bad := append(connected(want, links), ownGateway(want, links, whose)...)
	bad = append(bad, subnetEdge(want, links)...)
	bad = append(bad, holding(want, keep)...)
	if len(bad) == 0 {
		return want, nil, nil
	}
	if !leaveOut {
		problems := make([]string, len(bad))
		for j, r := range bad {
			problems[j] = r.message(want)
		}
		return nil, nil, refused(problems)
	}
	whys := make(map[int][]string, len(bad)) // one route may be wrong twice
	for _, r := range bad {
		whys[r.i] = append(whys[r.i], r.why)
	}
	kept := make([]reconcile.Want, 0, len(want))
	var out []reconcile.Omitted
	for i, w := range want {
		if why, ok := whys[i]; ok {
			out = append(out, reconcile.Omitted{Want: w, Why: strings.Join(why, "; ")})
		} else {
			kept = append(kept, w)
		}
	}
	errs := make([]error, len(bad))
	for j, r := range bad {
		errs[j] = errors.New(r.message(want) + " (not routed)")
	}
	return kept, out, errors.Join(errs...)
}

// ownGateway finds the routes via one of the host's own addresses: they
// would loop the host's traffic back to itself. It is the usual sign of a
// config meant for another host (that host's routes go via this one),
// which the message asks, as whose says for the route.
func ownGateway(want []reconcile.Want, links []gateway.Link, whose func(reconcile.Want) string) []refusal {
	own := map[netip.Addr]bool{} // the host's addresses, so that a route's gateway is looked up once
	for _, l := range links {
		for _, p := range l.Prefixes {
			own[p.Addr()] = true
		}
	}
	var bad []refusal
	for i, w := range want {
		if !own[w.Route.Gw] {
			continue
		}
		for _, l := range links {
			if !slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Addr() == w.Route.Gw }) {
				continue
			}
			bad = append(bad, refusal{i, fmt.Sprintf("the gateway is this host's own address (on %s); %s", l.Name, whose(w))})
		}
	}
	return bad
}

// subnetEdge finds the routes via the network or the broadcast address of
// an IPv4 subnet the host is directly connected to: no host has it. The
// kernel takes a route via the network address and sends its packets
// nowhere useful, and refuses one via the broadcast address at every pass.
// (A /31 or /32 has neither: RFC 3021.)
func subnetEdge(want []reconcile.Want, links []gateway.Link) []refusal {
	type edge struct{ kind, where string }
	edges := map[netip.Addr]edge{} // so that each route's gateway is looked up once
	for _, l := range links {
		for _, p := range l.Prefixes {
			if !p.Addr().Is4() || p.Bits() > 30 {
				continue
			}
			where := fmt.Sprintf("%s on %s", p.Masked(), l.Name)
			edges[p.Masked().Addr()] = edge{"network", where}
			edges[broadcast(p)] = edge{"broadcast", where}
		}
	}
	var bad []refusal
	for i, w := range want {
		if e, ok := edges[w.Route.Gw]; ok {
			bad = append(bad, refusal{i, fmt.Sprintf("the gateway is the %s address of %s, a subnet this host is directly connected to, and no host's", e.kind, e.where)})
		}
	}
	return bad
}

// broadcast is the last address of IPv4 prefix p.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := ^uint32(0) >> p.Bits()
	for i := range a {
		a[i] |= byte(host >> (8 * (3 - i)))
	}
	return netip.AddrFrom4(a)
}

// otherHost says whose routes.yaml this may be.
func otherHost(node, hostname string) string {
	short, _, _ := strings.Cut(hostname, ".")
	if node == "" || short == "" || valid.SameHostname(node, short) {
		return "is this config another host's?"
	}
	return fmt.Sprintf("the config is for node %q but this host is %q: was it copied from another host?", node, short)
}

func peer(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

func refused(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &RefusedError{Problems: problems}
}

// IsRefused reports whether err is (or wraps) a *RefusedError.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}
