package inventory

import (
	"strings"
	"time"

	"github.com/podroutes/podroutes/internal/diag"
)

// Node is what podroutes reads of a Kubernetes Node, whether it comes from
// `kubectl get nodes -o json` or from the API server: both turn it into a
// Host the one way (fromNode), with the same rules and messages.
type Node struct {
	// Name is metadata.name.
	Name string
	// Created is metadata.creationTimestamp: of two Nodes that claim one
	// subnet, the older keeps it (Admit).
	Created time.Time
	// Addresses are status.addresses, in order.
	Addresses []NodeAddress
	// PodCIDRs are spec.podCIDRs; PodCIDR, spec.podCIDR, counts where
	// they are empty (the first of them, set by API servers before 1.16).
	PodCIDRs []string
	PodCIDR  string
}

// NodeAddress is one of a Node's status.addresses.
type NodeAddress struct {
	// Type is InternalIP, ExternalIP, Hostname, InternalDNS or ExternalDNS.
	Type    string `json:"type"`
	Address string `json:"address"`
}

// fromNode is the Host that n describes: its InternalIP addresses, its
// pod CIDRs, and a Hostname address with a dot as the FQDN. Problems with
// the addresses go to la, with the subnets to ls, at line; addrsOK and
// subnetsOK say whether each kind arrived whole. A Node without an
// InternalIP has no address: addrsOK is false.
func fromNode(la, ls *diag.List, n Node, line int) (h Host, addrsOK, subnetsOK bool) {
	h = Host{Name: n.Name, Line: line}
	var addrs []field
	for _, a := range n.Addresses {
		switch {
		case a.Type == "InternalIP":
			addrs = append(addrs, field{a.Address, line})
		case a.Type == "Hostname" && h.FQDN == "" && strings.Contains(a.Address, "."):
			h.FQDN = a.Address
		}
	}
	cidrs := n.PodCIDRs
	if len(cidrs) == 0 && n.PodCIDR != "" {
		cidrs = []string{n.PodCIDR}
	}
	var pods []field
	for _, c := range cidrs {
		pods = append(pods, field{c, line})
	}
	h.Addrs, addrsOK = parseAddrs(la, addrs)
	h.Subnets, subnetsOK = parseSubnets(ls, pods, nil)
	if len(addrs) == 0 {
		la.Addf(line, "node %q has no InternalIP address", h.Name)
		addrsOK = false
	}
	return h, addrsOK, subnetsOK
}
