// Package route is podroutes' mark in the routing table, shared by gen,
// apply and the routes.yaml contract: the rtnetlink protocol that makes a
// route podroutes' own (Owner, 157) and the names `ip route` gives
// protocols, the metric used when none is set, and the one order in which
// prefixes are listed.
package route

import (
	"cmp"
	"net/netip"
	"strconv"
)

// Protocol is a route's rtnetlink protocol (rtm_protocol): who installed it.
type Protocol uint8

// Owner is the protocol on every route podroutes installs, and the
// Protocol= of every networkd drop-in it writes: it is how podroutes knows
// a route is its own. 157 is not used by the kernel (0-4), by DHCP/RA
// clients (16, 9) or by any routing daemon listed in iproute2's rt_protos
// (zebra 11, bird 12, 17, 18, 42, 80, 99, 186-192).
const Owner Protocol = 157

// Boot is RTPROT_BOOT, what `ip route add` sets when not told otherwise;
// `ip route` leaves it out when it prints a route.
const Boot Protocol = 3

// DefaultMetric is the route metric used when a config does not set one. It
// is explicit (not the kernel's per-family default) so that the kernel route
// and the networkd drop-in are identical for IPv4 and IPv6 alike.
const DefaultMetric = 100

// protocolNames are iproute2's rt_protos, plus podroutes (what the packages
// install in /etc/iproute2/rt_protos.d, so `ip route` shows it too).
var protocolNames = map[Protocol]string{
	0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static",
	8: "gated", 9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted",
	14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted", 18: "keepalived",
	42: "babel", 99: "openr", 157: "podroutes", 186: "bgp", 187: "isis",
	188: "ospf", 189: "rip", 192: "eigrp",
}

// String is the protocol's name in iproute2, or its number.
func (p Protocol) String() string {
	if n, ok := protocolNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// ParseProtocol is the inverse of String.
func ParseProtocol(s string) (Protocol, bool) {
	for p, n := range protocolNames {
		if n == s {
			return p, true
		}
	}
	n, err := strconv.ParseUint(s, 10, 8)
	return Protocol(n), err == nil
}

// ComparePrefix orders prefixes IPv4 before IPv6, then by address, then by
// length: the order of every route list podroutes writes, prints or diffs.
func ComparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}
