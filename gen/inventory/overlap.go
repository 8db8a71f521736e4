package inventory

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/podroutes/podroutes/internal/diag"
)

// subnetIndex holds the distinct subnets of some hosts, sorted by address
// then length, each with the hosts that have it and the innermost other
// subnet containing it: following parent from a subnet visits every subnet
// that contains it, innermost first (at most 128 of them). Both the strict
// check (checkSubnets) and the admission of live Nodes (Admit) find
// overlaps through it, in O(n log n) for n subnets.
type subnetIndex []subnet

// subnet is one distinct subnet of the index.
type subnet struct {
	p      netip.Prefix
	hosts  []int // indexes of the hosts that have p, ascending
	parent int   // index of the innermost subnet containing p, or -1
}

// indexSubnets indexes the valid subnets of hosts. Sorted by address then
// length, each subnet either starts inside the subnets on the stack of
// those enclosing the previous one, or not at all.
func indexSubnets(hosts []Host) subnetIndex {
	type entry struct {
		p    netip.Prefix
		host int
	}
	all := make([]entry, 0, len(hosts))
	for i, h := range hosts {
		for _, p := range h.Subnets {
			if p.IsValid() {
				all = append(all, entry{p.Masked(), i})
			}
		}
	}
	slices.SortFunc(all, func(a, b entry) int {
		return cmp.Or(a.p.Addr().Compare(b.p.Addr()), cmp.Compare(a.p.Bits(), b.p.Bits()), cmp.Compare(a.host, b.host))
	})
	idx := make(subnetIndex, 0, len(all))
	var stack []int
	for _, e := range all {
		if n := len(idx); n > 0 && idx[n-1].p == e.p {
			idx[n-1].hosts = append(idx[n-1].hosts, e.host)
			continue
		}
		for len(stack) > 0 && !idx[stack[len(stack)-1]].p.Contains(e.p.Addr()) {
			stack = stack[:len(stack)-1]
		}
		s := subnet{p: e.p, hosts: []int{e.host}, parent: -1}
		if len(stack) > 0 {
			s.parent = stack[len(stack)-1]
		}
		stack = append(stack, len(idx))
		idx = append(idx, s)
	}
	return idx
}

// find returns the index of subnet p (masked), or -1.
func (idx subnetIndex) find(p netip.Prefix) int {
	p = p.Masked()
	i, ok := slices.BinarySearchFunc(idx, p, func(s subnet, p netip.Prefix) int {
		return cmp.Or(s.p.Addr().Compare(p.Addr()), cmp.Compare(s.p.Bits(), p.Bits()))
	})
	if !ok {
		return -1
	}
	return i
}

// containing returns the index of the innermost subnet that contains a, or
// -1: the last subnet starting at or before a, or one of its parents.
func (idx subnetIndex) containing(a netip.Addr) int {
	i, _ := slices.BinarySearchFunc(idx, a, func(s subnet, a netip.Addr) int {
		if c := s.p.Addr().Compare(a); c != 0 {
			return c
		}
		return -1 // subnets starting at a sort before it
	})
	for j := i - 1; j >= 0; j = idx[j].parent {
		if idx[j].p.Contains(a) {
			return j
		}
	}
	return -1
}

// checkSubnets reports subnets that overlap (between hosts or within one)
// and subnets that contain any host's address: each subnet once, against
// the innermost subnet containing it (its first host).
func checkSubnets(l *diag.List, hosts []Host) {
	idx := indexSubnets(hosts)
	for _, s := range idx {
		for k, h := range s.hosts {
			switch {
			case k > 0:
				reportOverlap(l, hosts, s.p, s.hosts[0], s.p, h)
			case s.parent >= 0:
				outer := idx[s.parent]
				reportOverlap(l, hosts, outer.p, outer.hosts[0], s.p, h)
			}
		}
	}
	for i, h := range hosts {
		for _, a := range h.Addrs {
			if j := idx.containing(a); j >= 0 {
				reportContains(l, hosts, idx[j].p, idx[j].hosts[0], i, a)
			}
		}
	}
}

// reportOverlap reports that subnet b of host bh overlaps subnet a of host
// ah, at the line of the later-defined host.
func reportOverlap(l *diag.List, hosts []Host, a netip.Prefix, ah int, b netip.Prefix, bh int) {
	if ah > bh {
		a, ah, b, bh = b, bh, a, ah
	}
	at, other := hosts[bh], hosts[ah]
	switch {
	case ah == bh && a == b:
		l.Addf(at.Line, "duplicate subnet %s", b)
	case ah == bh:
		l.Addf(at.Line, "subnets %s and %s overlap", a, b)
	case a == b:
		l.Addf(at.Line, "duplicate subnet %s (also %q on line %d)", b, other.Name, other.Line)
	default:
		l.Addf(at.Line, "subnet %s overlaps %s of %q (line %d)", b, a, other.Name, other.Line)
	}
}

// reportContains reports, at the line of host sh, that its subnet s
// contains address a of hosts[i].
func reportContains(l *diag.List, hosts []Host, s netip.Prefix, sh, i int, a netip.Addr) {
	at := hosts[sh]
	if sh == i {
		l.Addf(at.Line, "subnet %s contains the host's own address %s", s, a)
		return
	}
	l.Addf(at.Line, "subnet %s contains the address %s of %q (line %d)", s, a, hosts[i].Name, hosts[i].Line)
}
