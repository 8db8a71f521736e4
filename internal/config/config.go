// Package config defines routes.yaml, the per-node file that `podroutes gen`
// writes and `podroutes apply`, `check` and `remove` read: which routes one
// host must have, and the constants (protocol, metric) that mark them as
// podroutes' own in the kernel and in systemd-networkd drop-ins.
package config

import (
	"net/netip"
)

// Protocol is the rtnetlink protocol number (rtm_protocol) on every route
// podroutes installs, and the Protocol= of every networkd drop-in it writes.
// It is how podroutes knows a route is its own. 157 is not used by the kernel
// (0-4), by DHCP/RA clients (16, 9) or by any routing daemon listed in
// iproute2's rt_protos (zebra 11, bird 12, 17, 18, 42, 80, 99, 186-192).
const Protocol = 157

// ProtocolName is the name the packages give Protocol in
// /etc/iproute2/rt_protos.d, so `ip route` shows "proto podroutes".
const ProtocolName = "podroutes"

// DefaultMetric is the route metric used when a config does not set one. It
// is explicit (not the kernel's per-family default) so that the kernel route
// and the networkd drop-in are identical for IPv4 and IPv6 alike.
const DefaultMetric = 100

// DefaultPath is where apply, check and remove look for the config.
const DefaultPath = "/etc/podroutes/routes.yaml"

// Config is one host's routes.
type Config struct {
	// Node is the host this config is for (informational).
	Node string
	// Metric is the metric of every route; DefaultMetric when not set.
	Metric uint32
	// Device, if set, pins every route to this interface (the uplink).
	Device string
	// Force lets apply take over a destination held by another owner.
	Force bool
	// Routes are sorted by destination, one per destination.
	Routes []Route
}

// Route is one wanted route: Destination via Gateway.
type Route struct {
	Destination netip.Prefix
	Gateway     netip.Addr
	// Peer is the host that owns Destination (informational).
	Peer string
	// OnLink installs the route even if Gateway is on no connected subnet;
	// it needs Config.Device.
	OnLink bool
	// Line is the line of the route in the file it was loaded from (0 if the
	// route was not loaded from a file).
	Line int
}
