// Package gateway says how the host reaches the gateways its routes need:
// by an admin-up link with an address whose subnet holds the gateway, or,
// for an onlink route, by its device, up; which link that is (Via); and
// which gateways no link reaches (Unreachable). Source is where the links
// come from, with a signal when they change, so that callers wait for
// events rather than poll.
package gateway

import (
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/podroutes/podroutes/internal/diag"
)

// Link is a network interface and its addresses.
type Link struct {
	Name string
	// Up is IFF_UP: the link is administratively up.
	Up bool
	// MTU is the link's MTU: a tunnel's over it is this less the
	// encapsulation (tunnel.MTU).
	MTU int
	// Prefixes are the link's addresses with their prefix length
	// (10.240.0.10/24).
	Prefixes []netip.Prefix
}

// Target is a gateway a route needs.
type Target struct {
	Gw netip.Addr
	// Dev, if set, is the link the gateway must be reached on.
	Dev string
	// OnLink routes need only Dev up: the gateway is on it by decree.
	OnLink bool
}

func (t Target) String() string {
	if t.Dev == "" {
		return t.Gw.String()
	}
	return fmt.Sprintf("%s on %s", t.Gw, t.Dev)
}

// Source is the host's links, and a signal when they or their addresses
// change.
type Source interface {
	Links() ([]Link, error)
	// Subscribe sends on the returned channel after links or addresses
	// change, coalescing bursts, until done is closed; it closes the channel
	// if updates stop.
	Subscribe(done <-chan struct{}) (<-chan struct{}, error)
}

// Unreachable returns the targets no link in links can reach.
func Unreachable(links []Link, targets []Target) []Target {
	var out []Target
	for _, t := range targets {
		if !slices.ContainsFunc(links, func(l Link) bool { return reaches(l, t) }) {
			out = append(out, t)
		}
	}
	return out
}

// Via is the link the host reaches gw on now: the up link with the longest
// prefix holding gw. ok is false when no up link has one, or when two links
// hold equally long ones (the kernel's choice is then not podroutes' to
// guess). It is the one rule for where a route without a device goes:
// kernel.Kernel puts its nexthop objects there, and a route that leaves by
// another link is not in place.
func Via(links []Link, gw netip.Addr) (name string, ok bool) {
	best, ambiguous := -1, false
	for _, l := range links {
		if !l.Up {
			continue
		}
		for _, p := range l.Prefixes {
			switch {
			case !p.Contains(gw) || p.Bits() < best:
			case p.Bits() > best:
				best, name, ambiguous = p.Bits(), l.Name, false
			case l.Name != name:
				ambiguous = true
			}
		}
	}
	if best < 0 || ambiguous {
		return "", false
	}
	return name, true
}

func reaches(l Link, t Target) bool {
	if !l.Up || (t.Dev != "" && l.Name != t.Dev) {
		return false
	}
	return t.OnLink || slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Contains(t.Gw) })
}

// UnreachableError names the gateways still unreachable when the wait ended.
type UnreachableError struct {
	Targets []Target
	Waited  time.Duration
	// OffLinkHint adds how a peer on another network is reached: the
	// config does not send such peers through the tunnel.
	OffLinkHint bool
}

func (e *UnreachableError) Error() string {
	waited := ""
	if e.Waited > 0 {
		waited = " after waiting " + e.Waited.String()
	}
	hint := ""
	if e.OffLinkHint {
		hint = "; if they are on another network, --off-link vxlan (offLink: vxlan in a YAML inventory) sends their pod subnets through a VXLAN tunnel"
	}
	return fmt.Sprintf("%s unreachable%s (no up link has an address on their subnet)%s", e.Names(), waited, hint)
}

// Names names the gateways, the first ten: "gateways 10.240.0.21,
// 10.240.0.22", "gateways 10.240.0.2, ... and 4990 more".
func (e *UnreachableError) Names() string {
	s := diag.Some(e.Targets, 10, Target.String)
	if len(e.Targets) == 1 {
		return "gateway " + s
	}
	return "gateways " + s
}

// Unwrap makes the error ENETUNREACH for errors.Is and errors.As.
func (e *UnreachableError) Unwrap() error { return syscall.ENETUNREACH }
