package apply

import (
	"errors"
	"fmt"
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
	var problems []string
	for _, w := range want {
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
