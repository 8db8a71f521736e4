// Package config is routes.yaml, the contract between `podroutes gen` and
// `podroutes apply`: which routes one host must have. It holds the types,
// the one writer (Write) and the readers: a fast one for the shape Write
// writes and a strict one that names every problem (Parse), and Load,
// which reads the file as an input file must be read (package infile).
package config

import (
	"fmt"
	"net/netip"
	"slices"
)

// DefaultPath is where apply, check and remove look for the config.
const DefaultPath = "/etc/podroutes/routes.yaml"

// Config is one host's routes.
type Config struct {
	// Node is the host this config is for (informational).
	Node string
	// Metric is the metric of every route; route.DefaultMetric when not set.
	Metric uint32
	// Device, if set, pins every route to this interface (the uplink).
	Device string
	// Force lets apply take over a destination held by another owner.
	Force bool
	// OffLink says where a route goes whose gateway is on no link of this
	// host: nowhere (OffLinkNone, the zero value: it waits and is
	// reported) or through podroutes' VXLAN device (OffLinkVXLAN).
	OffLink OffLink
	// Address is this host's node address, when known: the VXLAN
	// device's underlay source, and what its MAC is derived from (every
	// other host derives the same from the inventory).
	Address netip.Addr
	// Routes are sorted by destination, one per destination.
	Routes []Route
}

// Equal reports whether c and d are the same config: every field, every
// route (and its line). The comparison lives here, beside the fields, so
// that a field added is compared too (TestEqualSeesEveryField fails until
// it is): watch takes a live source's config only when it is not Equal to
// the one it keeps, and a field left out would never reach it.
func (c Config) Equal(d Config) bool {
	return c.Node == d.Node && c.Metric == d.Metric && c.Device == d.Device && c.Force == d.Force &&
		c.OffLink == d.OffLink && c.Address == d.Address && slices.Equal(c.Routes, d.Routes)
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

// OffLink is what podroutes does with a route whose gateway no link of
// this host reaches. Its names are the ones the inventory's `offLink:`,
// routes.yaml's `offLink:` and the --off-link flag take.
type OffLink string

const (
	// OffLinkNone leaves such a route out until a link reaches its
	// gateway: today's direct routes only. The zero value.
	OffLinkNone OffLink = ""
	// OffLinkVXLAN sends the peer's subnets through podroutes' VXLAN
	// device, to its node address over the hosts' own routing.
	OffLinkVXLAN OffLink = "vxlan"
)

// OffLinkValues are the values --off-link and offLink: take, as a
// message lists them.
const OffLinkValues = "none or vxlan"

// OffLinkEnv is the environment variable --off-link is read from when it
// is not given: the units read it from /etc/default/podroutes, so that
// one line there turns VXLAN on for machines.txt, kubectl JSON and the
// Kubernetes source alike.
const OffLinkEnv = "PODROUTES_OFF_LINK"

// ParseOffLink reads an off-link mode as written ("none", "vxlan");
// msg, if not empty, says what is wrong with s.
func ParseOffLink(s string) (mode OffLink, msg string) {
	switch s {
	case "none":
		return OffLinkNone, ""
	case string(OffLinkVXLAN):
		return OffLinkVXLAN, ""
	}
	return OffLinkNone, fmt.Sprintf("offLink %q: want %s", s, OffLinkValues)
}

// String is the mode as written: "none" for the zero value.
func (m OffLink) String() string {
	if m == OffLinkNone {
		return "none"
	}
	return string(m)
}
