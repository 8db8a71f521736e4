// Package inventory reads the cluster inventory that `podroutes gen` plans
// from: the lab's machines.txt, podroutes' YAML inventory, or the JSON of
// `kubectl get nodes -o json`. Every parser yields the same Inventory and
// every problem it finds as a FILE:LINE diagnostic (see package diag).
package inventory

import (
	"net/netip"

	"github.com/podroutes/podroutes/internal/config"
)

// MaxSize bounds the inventory read (infile.Options.Max): `kubectl get
// nodes -o json` of thousands of Nodes, with their images, runs to tens
// of MB; /dev/zero or a wrong path never ends.
const MaxSize = 64 << 20

// Inventory is a validated list of hosts, in file order.
type Inventory struct {
	// Source is the file name the inventory was read from, as given.
	Source string
	Hosts  []Host
	// OffLink is what the inventory says of peers on no link of a host
	// (a YAML inventory's defaults: offLink); OffLinkNone when it says
	// nothing, as machines.txt and kubectl JSON cannot.
	OffLink config.OffLink
}

// Host is one machine of the cluster.
type Host struct {
	// Name is the short hostname (machines.txt's HOSTNAME), unique.
	Name string
	// FQDN is informational; may be empty.
	FQDN string
	// Addrs holds the host's addresses, at most one per family, IPv4 first.
	Addrs []netip.Addr
	// Subnets are the prefixes other hosts route to this host: its pod
	// subnets, then any extra subnets. Empty for a host without pods (the
	// lab's server).
	Subnets []netip.Prefix
	// Uplink is the interface routes leave by on this host ("" = any).
	Uplink string
	// NetworkFile is the systemd-networkd .network file that manages the
	// uplink ("" = the generator's default); drop-ins extend it.
	NetworkFile string
	// Metric of the routes installed on this host (0 = route.DefaultMetric).
	Metric uint32
	// Line is where the host is defined in Source (1-based).
	Line int
}

// Addr returns the host's IPv6 (is6) or IPv4 address, if it has one.
func (h Host) Addr(is6 bool) (netip.Addr, bool) {
	for _, a := range h.Addrs {
		if a.Is6() == is6 {
			return a, true
		}
	}
	return netip.Addr{}, false
}
