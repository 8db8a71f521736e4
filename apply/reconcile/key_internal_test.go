package reconcile

import (
	"net/netip"
	"testing"
)

// TestKeyOrder: the plan's own comparisons of keys (keyOrder, keyEqual)
// say what route.Key's do, for routes that differ in destination, length
// and family, and in nothing else of their key.
func TestKeyOrder(t *testing.T) {
	var rs []Route
	for _, s := range []string{"10.200.1.0/24", "10.200.1.0/25", "10.200.0.0/16", "10.200.2.0/24", "0.0.0.0/0", "fd00:200:1::/64", "fd00:200:1::/48", "::/0"} {
		rs = append(rs, Route{Dst: netip.MustParsePrefix(s), Metric: 100}, Route{Dst: netip.MustParsePrefix(s), Metric: 50})
	}
	sign := func(c int) int { return min(max(c, -1), 1) }
	for i := range rs {
		for j := range rs {
			a, b := &rs[i], &rs[j]
			if got, want := sign(keyOrder(a, b)), sign(a.Key().Compare(b.Key())); got != want {
				t.Errorf("keyOrder(%s, %s) = %d, Key.Compare %d", a, b, got, want)
			}
			if got, want := keyEqual(a, b), a.Key() == b.Key(); got != want {
				t.Errorf("keyEqual(%s, %s) = %v, keys equal %v", a, b, got, want)
			}
		}
	}
}
