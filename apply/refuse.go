package apply

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// RefusedError is a config Apply will not install, whatever the kernel
// says: a default route, or a route that would shadow a subnet the host is
// directly connected to. It is bad input (exit 2), found before any write.
type RefusedError struct {
	Problems []string
}

func (e *RefusedError) Error() string {
	return "refusing the config: " + strings.Join(e.Problems, "; ")
}

// refuseDefault refuses a route to 0.0.0.0/0 or ::/0: podroutes routes pod
// subnets, it never takes over a host's default route.
func refuseDefault(want []reconcile.Want) error {
	var problems []string
	for _, w := range want {
		if w.Route.Dst.Bits() == 0 {
			problems = append(problems, fmt.Sprintf("route %s: a default route", w.Route.Short()))
		}
	}
	return refused(problems)
}

// refuseConnected refuses a route whose destination overlaps the subnet of
// one of the host's own addresses: it would steal traffic from that link.
func refuseConnected(want []reconcile.Want, links []gateway.Link) error {
	subnets := subnets(links)
	var problems []string
	for _, w := range want {
		if !slices.ContainsFunc(subnets, w.Route.Dst.Overlaps) {
			continue // the usual case, found without a look at every address
		}
		for _, l := range links {
			for _, p := range l.Prefixes {
				if w.Route.Dst.Overlaps(p.Masked()) {
					problems = append(problems, fmt.Sprintf("route %s: destination overlaps %s on %s, a subnet this host is directly connected to",
						w.Route.Short(), p, l.Name))
				}
			}
		}
	}
	return refused(problems)
}

// subnets are the distinct subnets of links' addresses: a pass checks
// every wanted route against each once, not against every address of
// every link (a veth per pod is hundreds of fe80::/64s, which took a
// no-op pass of 5000 routes beside 300 pods 80 ms).
func subnets(links []gateway.Link) []netip.Prefix {
	var ps []netip.Prefix
	for _, l := range links {
		for _, p := range l.Prefixes {
			if m := p.Masked(); !slices.Contains(ps, m) {
				ps = append(ps, m)
			}
		}
	}
	return ps
}

// refuse refuses, whatever the table holds, the routes that the host's
// links make wrong: a destination it is directly connected to, a gateway
// that is its own address.
func refuse(want []reconcile.Want, links []gateway.Link, node, hostname string) error {
	if err := refuseConnected(want, links); err != nil {
		return err
	}
	return refuseOwnGateway(want, links, node, hostname)
}

// refuseOwnGateway refuses a route via one of the host's own addresses:
// it would loop the host's traffic back to itself. It is the usual sign of
// another host's routes.yaml copied here (that host's routes go via this
// one), which the message says, naming the config's node and this host.
func refuseOwnGateway(want []reconcile.Want, links []gateway.Link, node, hostname string) error {
	own := map[netip.Addr]bool{} // the host's addresses, so that a route's gateway is looked up once
	for _, l := range links {
		for _, p := range l.Prefixes {
			own[p.Addr()] = true
		}
	}
	var problems []string
	for _, w := range want {
		if !own[w.Route.Gw] {
			continue
		}
		for _, l := range links {
			if !slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Addr() == w.Route.Gw }) {
				continue
			}
			problems = append(problems, fmt.Sprintf("route %s%s: the gateway is this host's own address (on %s); %s",
				w.Route.Short(), peer(w.Peer), l.Name, otherHost(node, hostname)))
		}
	}
	return refused(problems)
}

// otherHost says whose routes.yaml this may be.
func otherHost(node, hostname string) string {
	short, _, _ := strings.Cut(hostname, ".")
	if node == "" || short == "" || strings.EqualFold(node, short) {
		return "is this config another host's?"
	}
	return fmt.Sprintf("the config is for node %q but this host is %q: was it copied from another host?", node, short)
}

func peer(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

func refused(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &RefusedError{Problems: problems}
}

// IsRefused reports whether err is (or wraps) a *RefusedError.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}
