package apply

import (
	"errors"
	"net/netip"
	"slices"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// errNoIPv6 says why IPv6 routes fail on a host without IPv6, which the
// kernel's own error ("no route to host") does not.
var errNoIPv6 = errors.New("IPv6 looks disabled on this host (no link has an IPv6 address, not even ::1 on lo; " +
	"net.ipv6.conf.all.disable_ipv6=1?): its IPv6 routes cannot go in")

// noIPv6 returns errNoIPv6 when want has IPv6 routes but links have no IPv6
// address at all; nil otherwise, and when links are unknown (nil).
func noIPv6(want []reconcile.Want, links []gateway.Link) error {
	wants6 := slices.ContainsFunc(want, func(w reconcile.Want) bool { return w.Route.Dst.Addr().Is6() })
	has6 := slices.ContainsFunc(links, func(l gateway.Link) bool {
		return slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Addr().Is6() })
	})
	if links == nil || !wants6 || has6 {
		return nil
	}
	return errNoIPv6
}
