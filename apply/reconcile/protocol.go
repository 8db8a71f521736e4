package reconcile

import (
	"strconv"

	"github.com/podroutes/podroutes/internal/config"
)

// Protocol is a route's rtnetlink protocol (rtm_protocol): who installed it.
type Protocol uint8

// Owner is the protocol of podroutes' own routes.
const Owner = Protocol(config.Protocol)

// protoBoot is RTPROT_BOOT, what `ip route add` sets when not told
// otherwise; `ip route` leaves it out, and so does Route.String.
const protoBoot Protocol = 3

// protocolNames are iproute2's rt_protos, plus podroutes.
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

// ParseProtocol is the inverse of String (fake.MustParse reads routes with it).
func ParseProtocol(s string) (Protocol, bool) {
	for p, n := range protocolNames {
		if n == s {
			return p, true
		}
	}
	n, err := strconv.ParseUint(s, 10, 8)
	return Protocol(n), err == nil
}
