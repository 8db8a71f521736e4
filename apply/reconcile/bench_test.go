package reconcile_test

import (
	"net/netip"
	"testing"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/route"
)

// cluster is n wanted routes, one per node (10.x.y.0/24 via 10.240.x.y),
// and the kernel's table holding them all (as after an apply) plus the
// routes of other owners a host has.
func cluster(n int) ([]reconcile.Want, []reconcile.Route) {
	want := make([]reconcile.Want, n)
	have := []reconcile.Route{
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gw: netip.MustParseAddr("10.240.0.254"), Dev: "eth0", Protocol: 16, Metric: 1024},
		{Dst: netip.MustParsePrefix("10.240.0.0/16"), Dev: "eth0", Protocol: 2},
	}
	for i := range n {
		a := i + 2
		r := reconcile.Route{
			Dst:      netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + i>>8), byte(i), 0}), 24),
			Gw:       netip.AddrFrom4([4]byte{10, 240, byte(a >> 8), byte(a)}),
			Protocol: route.Owner,
			Metric:   100,
		}
		want[i] = reconcile.Want{Route: r, Peer: "node"}
		r.Dev, r.NH = "eth0", uint32(i+1)
		have = append(have, r)
	}
	return want, have
}

// BenchmarkDiff20000 is the diff of a re-apply at 20000 routes, all in
// place: what a no-op `podroutes apply` spends besides reading the config
// and dumping the table.
func BenchmarkDiff20000(b *testing.B) {
	want, have := cluster(20000)
	for b.Loop() {
		if p := reconcile.Diff(want, have, false); !p.InSync() {
			b.Fatal("not in sync")
		}
	}
}
