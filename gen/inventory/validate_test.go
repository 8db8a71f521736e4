package inventory

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// TestValidateHosts checks the invariants validate enforces on hosts built
// by code rather than parsed.
func TestValidateHosts(t *testing.T) {
	a4, a6 := netip.MustParseAddr("10.240.0.20"), netip.MustParseAddr("fd00::20")
	for _, c := range []struct {
		host Host
		msg  string
	}{
		{Host{Name: "a", Line: 1}, `host "a" has no address`},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a6, a4}}, "want IPv4 before IPv6"},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a4, a4.Next()}}, "2 IPv4 addresses"},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{{}}}, "address is not a valid address"},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a4}, Subnets: []netip.Prefix{{}}}, "subnet is not a valid prefix"},
		{Host{Name: "a", Line: 1, Addrs: []netip.Addr{a4}, Subnets: []netip.Prefix{netip.MustParsePrefix("10.1.0.1/16")}}, "host bits set"},
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
