// Package reconcile decides how to bring the kernel's main routing table to
// the routes a config wants: a pure diff (Diff) into a printable Plan, and its
// execution (Execute) against a small Kernel interface, adds before deletes.
package reconcile

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// Route is one route of the main table, as podroutes sees it.
type Route struct {
	Dst netip.Prefix
	// Gw is the gateway; the zero Addr for a route without one.
	Gw netip.Addr
	// Dev is the output interface; "" lets the kernel choose (wanted routes).
	Dev string
	// OnLink is RTNH_F_ONLINK: the gateway is on Dev whatever the addresses.
	OnLink   bool
	Protocol Protocol
	Metric   uint32
	// NH is the kernel's nexthop object the route uses (RTA_NH_ID), 0 for
	// a gateway written into the route. Only kernel routes have one; a
	// route counts as in place either way, and String leaves it out.
	NH uint32
}

// Kernel is the main routing table. Implementations: kernel.Kernel
// (rtnetlink), fake.Kernel (tests).
type Kernel interface {
	// Routes lists the routes of the main table.
	Routes(ctx context.Context) ([]Route, error)
	// Add adds r; it fails if a route to r.Dst with r.Metric exists.
	Add(r Route) error
	// Replace replaces the route to r.Dst with r.Metric (whoever owns it) by
	// r, or adds r.
	Replace(r Route) error
	// Delete deletes exactly r (destination, gateway, device, protocol,
	// metric). A route that is already gone is not an error.
	Delete(r Route) error
}

// Batcher is a Kernel that makes many writes at once (kernel.Kernel
// pipelines them on its socket). Execute uses it when the Kernel has it.
type Batcher interface {
	// WriteBatch makes the writes in order, each as Add, Replace or Delete
	// would, and returns each one's error (nil: made), one per write.
	WriteBatch(ws []Write, log Logger) []error
	// Finish runs after the last batch and deletes what the writes left
	// unused (kernel.Kernel: its nexthop objects no route uses), logging
	// each deletion.
	Finish(log Logger) error
}

// String prints r the way `ip route` does.
func (r Route) String() string {
	var b strings.Builder
	b.WriteString(r.Dst.String())
	if r.Gw.IsValid() {
		fmt.Fprintf(&b, " via %s", r.Gw)
	}
	if r.Dev != "" {
		fmt.Fprintf(&b, " dev %s", r.Dev)
	}
	fmt.Fprintf(&b, " proto %s metric %d", r.Protocol, r.Metric)
	if r.OnLink {
		b.WriteString(" onlink")
	}
	return b.String()
}

// Short names r in messages: destination and gateway.
func (r Route) Short() string {
	if !r.Gw.IsValid() {
		return r.Dst.String()
	}
	return fmt.Sprintf("%s via %s", r.Dst, r.Gw)
}

// Satisfies reports whether the kernel route r is the wanted route w: w's
// device, when set, must match; everything else must be equal.
func (r Route) Satisfies(w Route) bool {
	return r.Dst == w.Dst && r.Gw == w.Gw && r.Protocol == w.Protocol &&
		r.Metric == w.Metric && r.OnLink == w.OnLink && (w.Dev == "" || r.Dev == w.Dev)
}

// difference names how the kernel route r falls short of the wanted route w.
func difference(r, w Route) string {
	switch {
	case r.Gw != w.Gw:
		return "different gateway"
	case r.Metric != w.Metric:
		return "different metric"
	case w.Dev != "" && r.Dev != w.Dev:
		return "different device"
	case r.OnLink != w.OnLink:
		return "different onlink flag"
	}
	return "duplicate"
}
