package inventory

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// TestCheckSubnetsBruteForce compares the sweep with the O(n²) definition
// on random hosts crowded into a small address space: one overlap problem
// for each subnet that starts inside a subnet sorted before it, one
// containment problem for each address inside any subnet.
func TestCheckSubnetsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randAddr := func() netip.Addr {
		if rng.IntN(4) == 0 {
			return netip.AddrFrom16([16]byte{0: 0xfd, 14: byte(rng.IntN(4)), 15: byte(rng.IntN(256))})
		}
		return netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(rng.IntN(256))})
	}
	for round := range 300 {
		hosts := make([]Host, 1+rng.IntN(12))
		for i := range hosts {
			hosts[i] = Host{Name: "h", Line: i + 1, Addrs: []netip.Addr{randAddr()}}
			for range rng.IntN(3) {
				a := randAddr()
				p, _ := a.Prefix(a.BitLen() - rng.IntN(11))
				hosts[i].Subnets = append(hosts[i].Subnets, p)
			}
		}
		type entry struct {
			p    netip.Prefix
			host int
		}
		var subs []entry
		for i, h := range hosts {
			for _, p := range h.Subnets {
				subs = append(subs, entry{p: p, host: i})
			}
		}
		wantOverlap, wantContain := 0, 0
		for i, s := range subs {
			for j, u := range subs {
				before := u.p.Addr().Compare(s.p.Addr()) < 0 || u.p.Addr() == s.p.Addr() && (u.p.Bits() < s.p.Bits() || u.p.Bits() == s.p.Bits() && (u.host < s.host || u.host == s.host && j < i))
				if before && u.p.Contains(s.p.Addr()) {
					wantOverlap++
					break
				}
			}
		}
		for _, h := range hosts {
			for _, s := range subs {
				if s.p.Contains(h.Addrs[0]) {
					wantContain++
					break
				}
			}
		}
		l := &diag.List{File: "x"}
		checkSubnets(l, hosts)
		gotOverlap, gotContain := 0, 0
		for _, p := range l.Problems {
			if strings.Contains(p.Msg, "contains") {
				gotContain++
			} else {
				gotOverlap++
			}
		}
		if gotOverlap != wantOverlap || gotContain != wantContain {
			t.Fatalf("round %d: %d overlap and %d containment problems, want %d and %d; hosts %+v; problems %v",
				round, gotOverlap, gotContain, wantOverlap, wantContain, hosts, l.Err())
		}
	}
}
