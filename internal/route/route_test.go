package route

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

func TestProtocolNames(t *testing.T) {
	for p := range 256 {
		name := Protocol(p).String()
		back, ok := ParseProtocol(name)
		if !ok || back != Protocol(p) {
			t.Errorf("protocol %d prints as %q, which parses as %d, %v", p, name, back, ok)
		}
	}
	if Owner.String() != "podroutes" || Boot.String() != "boot" {
		t.Errorf("Owner %q, Boot %q", Owner, Boot)
	}
}

func TestComparePrefix(t *testing.T) {
	ps := []netip.Prefix{
		netip.MustParsePrefix("fd00::/64"),
		netip.MustParsePrefix("10.200.1.0/24"),
		netip.MustParsePrefix("10.200.0.0/16"),
		netip.MustParsePrefix("10.200.0.0/24"),
	}
	slices.SortFunc(ps, ComparePrefix)
	want := "[10.200.0.0/16 10.200.0.0/24 10.200.1.0/24 fd00::/64]"
	if got := fmt.Sprint(ps); got != want {
		t.Errorf("sorted %s, want %s", got, want)
	}
}
