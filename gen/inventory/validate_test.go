package inventory

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// TestValidateHosts checks the rules checkHost adds to the parsers' own
// (every value valid, one address per family, IPv4 first), on hosts built
// by code.
func TestValidateHosts(t *testing.T) {
	a4, a6 := netip.MustParseAddr("10.240.0.20"), netip.MustParseAddr("fd00::20")
	for _, c := range []struct {
		host Host
		msg  string
	}{
		{Host{Name: "a", Line: 1}, `host "a" has no address`},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a4}, Subnets: []netip.Prefix{netip.MustParsePrefix("fd00:200::/64")}}, "IPv6 subnet fd00:200::/64 on a host without an IPv6 address"},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a6}, Subnets: []netip.Prefix{netip.MustParsePrefix("10.200.0.0/24")}}, "IPv4 subnet 10.200.0.0/24 on a host without an IPv4 address"},
		{Host{Name: "a_b", Line: 1, Addrs: []netip.Addr{a4}}, `hostname "a_b"`},
		{Host{Name: "a", FQDN: "a..b", Line: 1, Addrs: []netip.Addr{a4}}, `fqdn "a..b"`},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a4}, Uplink: "eth0/1"}, `uplink "eth0/1" is not an interface name`},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a4}, NetworkFile: "x"}, "must end in .network"},
	} {
		l := &diag.List{File: "x"}
		validate(l, []Host{c.host}, nil)
		if err := l.Err(); err == nil || !strings.HasPrefix(err.Error(), "x:1: ") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("validate(%+v) = %v, want %q", c.host, err, c.msg)
		}
	}
}
