package inventory

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
)

// Problem is a Node that Admit routes no one to, and why.
type Problem struct {
	Node string
	// Msg is every problem of the Node, "; " between them.
	Msg string
}

func (p Problem) String() string { return fmt.Sprintf("node %q: %s (not routed)", p.Node, p.Msg) }

// Admit makes an Inventory of live Nodes (the API server's), where Parse
// would refuse a whole file: a Node with a problem is left out of the
// routes, with one Problem naming all of its problems, and every other
// Node is routed. The rules are Parse's: a Node is converted as in
// kubectl JSON (fromNode) and checked as any host (checkHost), and of two
// Nodes that conflict (a subnet that overlaps another's, or contains
// another's address; one address for two) the one created first keeps
// what it claims and the other is refused. Creation times tie at the
// second; the lower name then counts as first, so that every host of the
// cluster, whatever it saw before, makes the same choice, and a route
// moves only when the Node holding it goes.
//
// A Node whose subnets are refused (overlap, malformed, none yet) stays
// in the Inventory without subnets: no one routes to it, and as "this
// host" it still gets its routes to the others. A Node whose addresses are
// unusable (none, malformed, another Node's, inside another's subnet) is
// left out. Hosts are sorted by name; Problems too. The work is
// O(n log n) for n Nodes.
func Admit(source string, nodes []Node) (Inventory, []Problem) {
	order := slices.Clone(nodes)
	slices.SortFunc(order, func(a, b Node) int { return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Name, b.Name)) })
	a := admission{reported: map[string]int{}}
	cands := make([]Host, 0, len(order)) // in order: an index into cands is a rank
	for _, n := range order {
		h, ok := a.check(n)
		if ok {
			cands = append(cands, h)
		}
	}
	a.idx = indexSubnets(cands)
	a.held = make([]int, len(a.idx))
	a.inside = make([]int, len(a.idx))
	a.addrsIn = make([]int, len(a.idx))
	a.addrs = make(map[netip.Addr]int, len(cands))
	for i := range a.held {
		a.held[i] = -1
	}
	inv := Inventory{Source: source, Hosts: make([]Host, 0, len(cands))}
	for i := range cands {
		if a.admit(cands, i) {
			inv.Hosts = append(inv.Hosts, cands[i])
		}
	}
	slices.SortFunc(inv.Hosts, func(a, b Host) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(a.problems, func(a, b Problem) int { return strings.Compare(a.Node, b.Node) })
	return inv, a.problems
}

// admission is Admit's state: the subnets of the candidates, indexed, and
// what the Nodes admitted so far hold.
type admission struct {
	idx subnetIndex
	// held[s] is the candidate routed to subnet s, or -1; inside[s]
	// counts the held subnets inside s, addrsIn[s] the admitted
	// addresses in it.
	held, inside, addrsIn []int
	addrs                 map[netip.Addr]int // admitted addresses and their candidate
	problems              []Problem
	reported              map[string]int // index of a Node's Problem
}

// check converts n and applies the rules of a host on its own. A Node with
// address problems is refused (ok false); one with subnet problems loses
// its subnets. Either is reported.
func (a *admission) check(n Node) (h Host, ok bool) {
	var la, ls diag.List
	h, addrsOK, subnetsOK := fromNode(&la, &ls, n, 0)
	checkHost(&ls, h, !addrsOK || !subnetsOK)
	if gw, ok := linkLocalGateway(h); ok {
		ls.Addf(0, "address %s is link-local: the routes to its IPv6 subnets would need a device, and Nodes name none", gw)
	}
	if len(h.Subnets) == 0 && len(ls.Problems) == 0 && addrsOK {
		ls.Addf(0, "no podCIDR yet")
	}
	var msgs []string
	for _, p := range slices.Concat(la.Problems, ls.Problems) {
		// Without the name a kubectl file's messages start with.
		msgs = append(msgs, strings.TrimPrefix(p.Msg, fmt.Sprintf("node %q ", n.Name)))
	}
	a.report(n.Name, msgs)
	if !addrsOK {
		return h, false
	}
	if len(ls.Problems) > 0 {
		h.Subnets = nil
	}
	return h, true
}

// admit admits cands[i] unless an address of it is taken, and its subnets
// unless they conflict with what the candidates before it hold, in which
// case they are reported and it stays without them. It reports whether
// the host is admitted.
func (a *admission) admit(cands []Host, i int) bool {
	h := &cands[i]
	var msgs []string
	for _, addr := range h.Addrs {
		if j, dup := a.addrs[addr]; dup {
			msgs = append(msgs, fmt.Sprintf("duplicate address %s (also Node %q, created first)", addr, cands[j].Name))
		}
		for s := a.idx.containing(addr); s >= 0; s = a.idx[s].parent {
			if j := a.held[s]; j >= 0 && j != i {
				msgs = append(msgs, fmt.Sprintf("address %s is in subnet %s of Node %q, created first", addr, a.idx[s].p, cands[j].Name))
				break
			}
		}
	}
	if len(msgs) > 0 {
		a.report(h.Name, msgs)
		return false
	}
	for _, p := range h.Subnets {
		if msg := a.conflict(cands, i, p); msg != "" {
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) > 0 {
		a.report(h.Name, msgs)
		h.Subnets = nil
	}
	for _, addr := range h.Addrs {
		a.addrs[addr] = i
		for s := a.idx.containing(addr); s >= 0; s = a.idx[s].parent {
			a.addrsIn[s]++
		}
	}
	for _, p := range h.Subnets {
		s := a.idx.find(p)
		a.held[s] = i
		for o := a.idx[s].parent; o >= 0; o = a.idx[o].parent {
			a.inside[o]++
		}
	}
	return true
}

// conflict says why cands[i] cannot hold subnet p, or "".
func (a *admission) conflict(cands []Host, i int, p netip.Prefix) string {
	s := a.idx.find(p)
	if j := a.held[s]; j >= 0 {
		return fmt.Sprintf("duplicate subnet %s (also Node %q, created first)", p, cands[j].Name)
	}
	for o := a.idx[s].parent; o >= 0; o = a.idx[o].parent {
		if j := a.held[o]; j >= 0 {
			return fmt.Sprintf("subnet %s overlaps %s of Node %q, created first", p, a.idx[o].p, cands[j].Name)
		}
	}
	if a.inside[s] > 0 {
		// The subnets inside p follow it in the index, up to the first
		// that p does not contain.
		for o := s + 1; o < len(a.idx) && p.Contains(a.idx[o].p.Addr()); o++ {
			if j := a.held[o]; j >= 0 {
				return fmt.Sprintf("subnet %s overlaps %s of Node %q, created first", p, a.idx[o].p, cands[j].Name)
			}
		}
	}
	for _, addr := range cands[i].Addrs {
		if p.Contains(addr) {
			return fmt.Sprintf("subnet %s contains the host's own address %s", p, addr)
		}
	}
	if a.addrsIn[s] > 0 {
		for addr, j := range a.addrs {
			if p.Contains(addr) {
				return fmt.Sprintf("subnet %s contains the address %s of Node %q, created first", p, addr, cands[j].Name)
			}
		}
	}
	return ""
}

// report records the problems of Node name, if any: one Problem a Node.
func (a *admission) report(name string, msgs []string) {
	if len(msgs) == 0 {
		return
	}
	if i, ok := a.reported[name]; ok {
		a.problems[i].Msg += "; " + strings.Join(msgs, "; ")
		return
	}
	a.reported[name] = len(a.problems)
	a.problems = append(a.problems, Problem{Node: name, Msg: strings.Join(msgs, "; ")})
}
