// Package plan decides which routes each host needs: a route to every other
// host's subnets via that host's address of the same family. Hosts without
// subnets (the lab's server) receive routes but no one routes to them, and no
// host gets a route to its own subnets. The result is deterministic.
package plan

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/route"
	"github.com/podroutes/podroutes/internal/valid"
)

// Node is one host's share of the plan: the config `podroutes apply` reads on
// that host, and the networkd .network file its drop-in extends.
type Node struct {
	Config      config.Config
	NetworkFile string
}

// Options tune the plan.
type Options struct {
	// Only limits the plan to these hosts (nil = every host), in inventory
	// order. Names that are not in the inventory are an error.
	Only []string
	// NetworkFile is used for hosts whose inventory entry names none.
	NetworkFile string
	// OffLink is --off-link: what every host does with a peer on no link
	// of its own, for inventories that cannot say (machines.txt, kubectl
	// JSON, the Kubernetes API). An inventory's own offLink: vxlan wins
	// over none.
	OffLink config.OffLink
}

// offLink is the mode the plan gives every host: inv's, or else o's.
func (o Options) offLink(inv inventory.Inventory) config.OffLink {
	return cmp.Or(inv.OffLink, o.OffLink)
}

// target is a subnet and the host that routes it.
type target struct {
	dst  netip.Prefix
	gw   netip.Addr
	peer int // index into the inventory's hosts
}

// Stream plans the routes of the selected hosts, one host at a time: each
// Node is planned when the sequence reaches it, so a caller that writes and
// drops each one holds a single host's routes, not the cluster's (a million
// for 1000 hosts). The work is linear in the number of routes produced,
// after one O(n log n) sort of all subnets.
func Stream(inv inventory.Inventory, opts Options) (iter.Seq[Node], error) {
	selected, err := selectHosts(inv, opts.Only)
	if err != nil {
		return nil, err
	}
	targets := allTargets(inv.Hosts)
	return func(yield func(Node) bool) {
		for _, i := range selected {
			if !yield(planHost(inv, inv.Hosts[i], i, targets, opts)) {
				return
			}
		}
	}, nil
}

func selectHosts(inv inventory.Inventory, only []string) ([]int, error) {
	if only == nil {
		idx := make([]int, len(inv.Hosts))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	// Host names are compared without case, as the inventory compares
	// them for duplicates.
	want := make(map[string]string, len(only))
	for _, n := range only {
		want[valid.HostnameKey(n)] = n
	}
	var idx []int
	for i, h := range inv.Hosts {
		if _, ok := want[valid.HostnameKey(h.Name)]; ok {
			idx = append(idx, i)
			delete(want, valid.HostnameKey(h.Name))
		}
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for _, n := range want {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("%s: no host named %s", inv.Source, strings.Join(missing, ", "))
	}
	return idx, nil
}

// allTargets lists every routable subnet with its gateway, sorted by
// destination. A subnet whose host has no address of its family is skipped
// (the inventory refuses such hosts, so this is only defensive).
func allTargets(hosts []inventory.Host) []target {
	var ts []target
	for i, h := range hosts {
		for _, s := range h.Subnets {
			gw, ok := h.Addr(s.Addr().Is6())
			if !ok {
				continue
			}
			ts = append(ts, target{dst: s, gw: gw, peer: i})
		}
	}
	slices.SortFunc(ts, func(a, b target) int { return route.ComparePrefix(a.dst, b.dst) })
	return ts
}

// Guest plans the routes of a host named name that is not in inv: a
// machine that is not a Kubernetes Node (the lab's server), or whose Node
// is not registered yet or was refused. It gets a route to every subnet,
// of either family, since the inventory says nothing of its addresses; a
// gateway of a family it has no address of stays unreachable, which apply
// reports.
func Guest(inv inventory.Inventory, name string, opts Options) Node {
	return planHost(inv, inventory.Host{Name: name}, -1, allTargets(inv.Hosts), opts)
}

// planHost plans the routes of h, which is inv.Hosts[self] or, when self
// is -1, a guest (Guest). With VXLAN for off-link peers, the config
// carries h's node address (its first: IPv4 when it has one), which the
// device sends from and every other host derives its MAC from; a guest
// has none, and no host sends to it through the tunnel.
func planHost(inv inventory.Inventory, h inventory.Host, self int, targets []target, opts Options) Node {
	hosts := inv.Hosts
	c := config.Config{
		Node:    h.Name,
		Metric:  cmp.Or(h.Metric, route.DefaultMetric),
		Device:  h.Uplink,
		OffLink: opts.offLink(inv),
		Routes:  make([]config.Route, 0, len(targets)),
	}
	if c.OffLink != config.OffLinkNone && len(h.Addrs) > 0 {
		c.Address = h.Addrs[0]
	}
	for _, t := range targets {
		if t.peer == self {
			continue
		}
		// A host can only reach a gateway of a family it has an address of.
		if _, ok := h.Addr(t.gw.Is6()); !ok && self >= 0 {
			continue
		}
		c.Routes = append(c.Routes, config.Route{Destination: t.dst, Gateway: t.gw, Peer: hosts[t.peer].Name})
	}
	return Node{Config: c, NetworkFile: cmp.Or(h.NetworkFile, opts.NetworkFile)}
}

// ErrNotFound is wrapped by Self's error when no host is this one (not
// when several are): at boot, the address that says which host this is
// may not be up yet.
var ErrNotFound = errors.New("this host is not in the inventory")

// How says what told Self which host this is.
type How int

const (
	ByNode     How = iota // --node names it
	ByAddr                // it has an address of this host's
	ByHostname            // its name or FQDN is this host's hostname
)

// Found is the host Self found, and how.
type Found struct {
	Name string
	How  How
	// Addr is, ByAddr, the address of this host's that is the host's.
	Addr netip.Addr
}

// Self finds this host among inv's hosts, for apply on a host that has
// the whole inventory: node when it is given (compared without case);
// else the one host that has an address of this host's (local); else the
// one whose name or FQDN is this host's name (hostname), the whole of it:
// node-1.other.domain is not node-1, whose FQDN is node-1.k.local.
// The address comes first: no host has this host's addresses when one is
// found ByHostname, and at boot they may come late (the caller may wait
// for them). A host found by address that the hostname says is another is
// an error: one of the two is wrong, and routes planned for either would
// be wrong for the other. Anything else (no host, or more than one) is an
// error that says what was tried and which hosts there are.
func Self(inv inventory.Inventory, node string, local []netip.Addr, hostname string) (Found, error) {
	if node != "" {
		for _, h := range inv.Hosts {
			if valid.SameHostname(h.Name, node) {
				return Found{Name: h.Name, How: ByNode}, nil
			}
		}
		return Found{}, fmt.Errorf("%s: no host named %q (--node); the hosts: %s", inv.Source, node, names(inv.Hosts))
	}
	var byName []inventory.Host
	for _, h := range inv.Hosts {
		if hostname != "" && (valid.SameHostname(h.Name, hostname) || valid.SameHostname(h.FQDN, hostname)) {
			byName = append(byName, h)
		}
	}
	var byAddr []string // the hosts found, as the error names them
	var self Found
	for _, h := range inv.Hosts {
		if i := slices.IndexFunc(h.Addrs, func(a netip.Addr) bool { return slices.Contains(local, a) }); i >= 0 {
			self = Found{Name: h.Name, How: ByAddr, Addr: h.Addrs[i]}
			byAddr = append(byAddr, described(h, h.Addrs[i]))
		}
	}
	switch {
	case len(byAddr) == 1 && len(byName) > 0 && !slices.ContainsFunc(byName, func(h inventory.Host) bool { return h.Name == self.Name }):
		return Found{}, fmt.Errorf("%s: which host is this? by address it is %s, by its hostname %q it is %s; "+
			"correct the address or the hostname, or say which with --node",
			inv.Source, byAddr[0], hostname, diag.Some(byName, 10, func(h inventory.Host) string { return described(h, netip.Addr{}) }))
	case len(byAddr) == 1:
		return self, nil
	case len(byAddr) > 1:
		return Found{}, fmt.Errorf("%s: more than one host has an address of this host's: %s; say which this host is with --node",
			inv.Source, strings.Join(byAddr, ", "))
	case len(byName) == 1:
		return Found{Name: byName[0].Name, How: ByHostname}, nil
	}
	addrs := make([]string, len(local))
	for i, a := range local {
		addrs[i] = a.String()
	}
	tried := fmt.Sprintf("no host has one of this host's addresses (%s), and ", strings.Join(addrs, ", "))
	if len(addrs) == 0 {
		tried = "this host has no address yet, and "
	}
	if len(byName) == 0 {
		tried += fmt.Sprintf("none is named %q", hostname)
	} else {
		tried += fmt.Sprintf("more than one is named %q: %s", hostname, names(byName))
	}
	err := fmt.Errorf("%s: which host is this? %s; the hosts: %s; say which with --node", inv.Source, tried, names(inv.Hosts))
	if len(byName) == 0 {
		err = &notFound{err}
	}
	return Found{}, err
}

// described names host h as a message does: with its line in the file,
// or, with none, as the Node of the API server it is; and a, if valid,
// the address it was found by.
func described(h inventory.Host, a netip.Addr) string {
	switch {
	case h.Line == 0 && a.IsValid():
		return fmt.Sprintf("Node %s (%s)", h.Name, a)
	case h.Line == 0:
		return "Node " + h.Name
	case a.IsValid():
		return fmt.Sprintf("%s (line %d, %s)", h.Name, h.Line, a)
	}
	return fmt.Sprintf("%s (line %d)", h.Name, h.Line)
}

// names lists hosts' names, the first ten.
func names(hosts []inventory.Host) string {
	return diag.Some(hosts, 10, func(h inventory.Host) string { return h.Name })
}

// notFound is an error that is ErrNotFound too.
type notFound struct{ error }

func (e *notFound) Unwrap() []error { return []error{e.error, ErrNotFound} }
