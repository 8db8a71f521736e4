// Package route is podroutes' mark in the routing table, shared by gen,
// apply and the routes.yaml contract: the rtnetlink protocol that makes a
// route podroutes' own (Owner, 157) and the names `ip route` gives
// protocols, the metric used when none is set, the table podroutes'
// routes are in (MainTable), what a route is known by (Key), and the one
// order in which prefixes and keys are listed.
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

// MainTable is the kernel's main routing table (RT_TABLE_MAIN), the one
// every route podroutes reads, writes and watches is in today. (A number
// here rather than golang.org/x/sys/unix's constant keeps gen, which
// shares this package, free of a Linux-only import; a test holds them
// equal.)
const MainTable uint32 = 254

// Key is what the kernel and podroutes know a route by, whoever owns it:
// the table it is in and its destination. Routes that share a key compete
// for its traffic; the plan, the kernel's lookups and the watcher's
// bookkeeping all go key by key. (The kernel's own key for a write adds
// the source, TOS and metric: reconcile.SameKey.)
type Key struct {
	Table uint32
	Dst   netip.Prefix
}

// Compare orders keys by table, then by destination (ComparePrefix): in
// the main table alone, the order of the destinations.
func (k Key) Compare(o Key) int {
	// Written to stay within the inliner's budget: sorts call it often.
	if k.Table == o.Table {
		return ComparePrefix(k.Dst, o.Dst)
	}
	if k.Table < o.Table {
		return -1
	}
	return 1
}

// String is the destination, followed by its table where that is not the
// main one, as `ip route` prints a route.
func (k Key) String() string {
	if k.Table == MainTable {
		return k.Dst.String()
	}
	return k.Dst.String() + " table " + strconv.FormatUint(uint64(k.Table), 10)
}

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
