package inventory

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/podroutes/podroutes/internal/diag"
)

// subnet is one host's subnet, placed in the sorted list of all subnets.
type subnet struct {
	p      netip.Prefix
	host   int
	parent int // index of the innermost earlier subnet containing p, or -1
}

// checkSubnets reports subnets that overlap (between hosts or within one)
// and subnets that contain any host's address, in O(n log n): subnets are
// sorted by address then length, so that each one either starts inside the
// subnets on the stack of those enclosing the previous one, or not at all.
func checkSubnets(l *diag.List, hosts []Host) {
	var subs []subnet
	for i, h := range hosts {
		for _, p := range h.Subnets {
			if p.IsValid() {
				subs = append(subs, subnet{p: p.Masked(), host: i})
			}
		}
	}
	slices.SortFunc(subs, func(a, b subnet) int {
		return cmp.Or(a.p.Addr().Compare(b.p.Addr()), cmp.Compare(a.p.Bits(), b.p.Bits()), cmp.Compare(a.host, b.host))
	})
	var stack []int
	for i := range subs {
		s := &subs[i]
		for len(stack) > 0 && !subs[stack[len(stack)-1]].p.Contains(s.p.Addr()) {
			stack = stack[:len(stack)-1]
		}
		s.parent = -1
		if len(stack) == 0 {
			stack = append(stack, i)
			continue
		}
		top := stack[len(stack)-1]
		s.parent = top
		reportOverlap(l, hosts, subs[top], *s)
		if subs[top].p != s.p {
			stack = append(stack, i)
		}
	}
	for i, h := range hosts {
		for _, a := range h.Addrs {
			if j := containing(subs, a); j >= 0 {
				reportContains(l, hosts, subs[j], i, a)
			}
		}
	}
}

// reportOverlap reports that b overlaps a, which sorts before it, at the line
// of the later-defined host.
func reportOverlap(l *diag.List, hosts []Host, a, b subnet) {
	if a.host > b.host {
		a, b = b, a
	}
	at, other := hosts[b.host], hosts[a.host]
	switch {
	case a.host == b.host && a.p == b.p:
		l.Addf(at.Line, "duplicate subnet %s", b.p)
	case a.host == b.host:
		l.Addf(at.Line, "subnets %s and %s overlap", a.p, b.p)
	case a.p == b.p:
		l.Addf(at.Line, "duplicate subnet %s (also %q on line %d)", b.p, other.Name, other.Line)
	default:
		l.Addf(at.Line, "subnet %s overlaps %s of %q (line %d)", b.p, a.p, other.Name, other.Line)
	}
}

// reportContains reports, at the line of the subnet's host, that s contains
// address a of hosts[i].
func reportContains(l *diag.List, hosts []Host, s subnet, i int, a netip.Addr) {
	at := hosts[s.host]
	if s.host == i {
		l.Addf(at.Line, "subnet %s contains the host's own address %s", s.p, a)
		return
	}
	l.Addf(at.Line, "subnet %s contains the address %s of %q (line %d)", s.p, a, hosts[i].Name, hosts[i].Line)
}

// containing returns the index of the innermost subnet in sorted subs that
// contains a, or -1: the last subnet starting at or before a, or one of its
// enclosing subnets (at most 129 of them).
func containing(subs []subnet, a netip.Addr) int {
	i, _ := slices.BinarySearchFunc(subs, a, func(s subnet, a netip.Addr) int {
		if c := s.p.Addr().Compare(a); c != 0 {
			return c
		}
		return -1 // subnets starting at a sort before it
	})
	for j := i - 1; j >= 0; j = subs[j].parent {
		if subs[j].p.Contains(a) {
			return j
		}
	}
	return -1
}
