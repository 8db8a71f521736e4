package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/valid"
)

// validate reports every problem of hosts to l, each at the line of the
// offending host; problems between two hosts name the other one and its
// line. partial[i] (nil means all false) marks a host that lost a malformed
// address or subnet in parsing: checks the missing value would mislead are
// skipped for it. validate runs in O(n log n) for n hosts and subnets.
func validate(l *diag.List, hosts []Host, partial []bool) {
	if len(hosts) == 0 {
		if len(l.Problems) == 0 {
			l.Addf(0, "no machines")
		}
		return
	}
	names := make(map[string]int, len(hosts))
	addrs := make(map[netip.Addr]int, len(hosts))
	for i, h := range hosts {
		checkHost(l, h, i < len(partial) && partial[i])
		if h.Name != "" {
			key := strings.ToLower(h.Name)
			if j, dup := names[key]; dup {
				l.Addf(h.Line, "duplicate hostname %q (first defined on line %d)", h.Name, hosts[j].Line)
			} else {
				names[key] = i
			}
		}
		for _, a := range h.Addrs {
			if j, dup := addrs[a]; dup && j != i {
				l.Addf(h.Line, "duplicate address %s (also %q on line %d)", a, hosts[j].Name, hosts[j].Line)
			} else {
				addrs[a] = i
			}
		}
	}
	checkSubnets(l, hosts)
	checkLinkLocal(l, hosts)
}

// checkLinkLocal reports a host whose IPv6 address is link-local while it
// has IPv6 subnets that other hosts route to: a route via a link-local
// gateway must name its device (valid.NeedsDevice, the rule routes.yaml
// follows too), so every host that routes there needs an uplink.
func checkLinkLocal(l *diag.List, hosts []Host) {
	for i, h := range hosts {
		gw, ok := linkLocalGateway(h)
		if !ok {
			continue
		}
		var without []string
		for j, o := range hosts {
			if _, has6 := o.Addr(true); j != i && has6 && o.Uplink == "" {
				without = append(without, fmt.Sprintf("%q (line %d)", o.Name, o.Line))
			}
		}
		if len(without) > 0 {
			l.Addf(h.Line, "address %s is link-local: the routes to %q's IPv6 subnets need a device, and %s %s no uplink; "+
				"give %q a global IPv6 address, or set uplink (YAML inventory)", gw, h.Name, strings.Join(without, ", "), hasHave(len(without)), h.Name)
		}
	}
}

// linkLocalGateway returns h's IPv6 address if routes to h's IPv6 subnets
// would go via it and it needs a device to (valid.NeedsDevice): the rule
// both the strict check (checkLinkLocal) and the admission of live Nodes
// (Admit) apply.
func linkLocalGateway(h Host) (netip.Addr, bool) {
	gw, ok := h.Addr(true)
	return gw, ok && valid.NeedsDevice(gw) && slices.ContainsFunc(h.Subnets, func(p netip.Prefix) bool { return p.Addr().Is6() })
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// checkHost reports the problems of one host on its own.
func checkHost(l *diag.List, h Host, partial bool) {
	problem := func(msg string) {
		if msg != "" {
			l.Addf(h.Line, "%s", msg)
		}
	}
	problem(valid.Hostname("hostname", h.Name))
	if h.FQDN != "" {
		problem(valid.Hostname("fqdn", h.FQDN))
	}
	if h.Uplink != "" {
		problem(valid.Interface("uplink", h.Uplink))
	}
	if h.NetworkFile != "" {
		problem(valid.NetworkFile(h.NetworkFile))
	}
	var has [2]int // addresses per family: IPv4, IPv6
	for i, a := range h.Addrs {
		problem(valid.AddrProblem("address", a))
		has[b2i(a.Is6())]++
		if i > 0 && a.Is4() && h.Addrs[i-1].Is6() {
			problem(fmt.Sprintf("address %s: want IPv4 before IPv6", a))
		}
	}
	for is6, n := range has {
		if n > 1 {
			problem(fmt.Sprintf("%d %s addresses: want at most one per family", n, family(is6 == 1)))
		}
	}
	for _, p := range h.Subnets {
		problem(valid.PrefixProblem("subnet", p))
	}
	if partial {
		return
	}
	if len(h.Addrs) == 0 {
		problem(fmt.Sprintf("host %q has no address", h.Name))
	}
	for _, p := range h.Subnets {
		if p.IsValid() && has[b2i(p.Addr().Is6())] == 0 {
			problem(fmt.Sprintf("%s subnet %s on a host without an %s address", family(p.Addr().Is6()), p, family(p.Addr().Is6())))
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
