package route

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
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

func TestMainTable(t *testing.T) {
	if MainTable != unix.RT_TABLE_MAIN {
		t.Errorf("MainTable is %d, the kernel's main table %d", MainTable, unix.RT_TABLE_MAIN)
	}
}

func TestKey(t *testing.T) {
	key := func(table uint32, dst string) Key { return Key{table, netip.MustParsePrefix(dst)} }
	ks := []Key{
		key(MainTable, "fd00::/64"),
		key(100, "10.200.9.0/24"),
		key(MainTable, "10.200.1.0/24"),
		key(300, "10.200.0.0/24"),
		key(MainTable, "10.200.0.0/16"),
	}
	slices.SortFunc(ks, Key.Compare)
	want := "[10.200.9.0/24 table 100 10.200.0.0/16 10.200.1.0/24 fd00::/64 10.200.0.0/24 table 300]"
	if got := fmt.Sprint(ks); got != want {
		t.Errorf("sorted %s, want %s", got, want)
	}
	if a, b := key(MainTable, "10.200.1.0/24"), key(MainTable, "10.200.1.0/24"); a.Compare(b) != 0 || a != b {
		t.Errorf("%v and %v differ", a, b)
	}
}
