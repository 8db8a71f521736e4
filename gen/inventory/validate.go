package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/internal/config"
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
			key := valid.HostnameKey(h.Name)
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

// checkHost reports the problems of one host on its own, beyond those of
// its addresses and subnets: every Host is built by hostList.add or
// fromNode, whose parseAddrs and parseSubnets already hold each value to
// its valid rule, at most one address (and pod subnet) per family and
// IPv4 first.
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
	if partial {
		return
	}
	if len(h.Addrs) == 0 {
		problem(fmt.Sprintf("host %q has no address", h.Name))
	}
	for _, p := range h.Subnets {
		if _, has := h.Addr(p.Addr().Is6()); !has {
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

// field is one value as written in the input, with the line it is on.
type field struct {
	text string
	line int
}

// splitField splits a comma-separated list (machines.txt's IP and POD_SUBNET).
func splitField(s string, line int) []field {
	var fs []field
	for part := range strings.SplitSeq(s, ",") {
		fs = append(fs, field{part, line})
	}
	return fs
}

// family names the address family of a.
func family(is6 bool) string {
	if is6 {
		return "IPv6"
	}
	return "IPv4"
}

// hostList is what a parser found: hosts in file order and, for each, whether
// the parser dropped a malformed address or subnet from it (having reported
// why), so that validate does not add problems caused by the missing value.
type hostList struct {
	hosts   []Host
	partial []bool
	// offLink is the YAML inventory's defaults: offLink.
	offLink config.OffLink
}

// add parses the address and subnet fields of h, reporting each problem at
// its field's line, and appends h. Like addresses, pod subnets are at most one
// per family; extra subnets are not limited. It returns h's index.
func (hl *hostList) add(l *diag.List, h Host, addrs, pods, extra []field) int {
	var addrsOK, subnetsOK bool
	h.Addrs, addrsOK = parseAddrs(l, addrs)
	h.Subnets, subnetsOK = parseSubnets(l, pods, extra)
	return hl.push(h, !addrsOK || !subnetsOK)
}

// push appends h; partial says a malformed value was dropped from it.
func (hl *hostList) push(h Host, partial bool) int {
	hl.hosts = append(hl.hosts, h)
	hl.partial = append(hl.partial, partial)
	return len(hl.hosts) - 1
}

// parseAddrs parses a host's addresses, at most one per family, IPv4
// first, reporting each problem at its field's line; ok is false if one
// was dropped.
func parseAddrs(l *diag.List, addrs []field) (out []netip.Addr, ok bool) {
	ok = true
	for _, f := range addrs {
		a, msg := valid.Addr("address", f.text)
		if msg == "" {
			if i := slices.IndexFunc(out, func(o netip.Addr) bool { return o.Is6() == a.Is6() }); i >= 0 {
				msg = fmt.Sprintf("two %s addresses, %s and %s: want at most one per family", family(a.Is6()), out[i], a)
			}
		}
		if msg != "" {
			l.Addf(f.line, "%s", msg)
			ok = false
			continue
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b netip.Addr) int { return compareBool(a.Is6(), b.Is6()) })
	return out, ok
}

// parseSubnets parses a host's pod subnets (at most one per family) and
// extra subnets (not limited), reporting each problem at its field's line;
// ok is false if one was dropped.
func parseSubnets(l *diag.List, pods, extra []field) (out []netip.Prefix, ok bool) {
	ok = true
	var pod [2]netip.Prefix
	for i, f := range slices.Concat(pods, extra) {
		p, msg := valid.Prefix("subnet", f.text)
		if is6 := b2i(p.Addr().Is6()); msg == "" && i < len(pods) {
			if pod[is6].IsValid() {
				msg = fmt.Sprintf("two %s pod subnets, %s and %s: want at most one per family", family(is6 == 1), pod[is6], p)
			}
			pod[is6] = p
		}
		if msg != "" {
			l.Addf(f.line, "%s", msg)
			ok = false
			continue
		}
		out = append(out, p)
	}
	return out, ok
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
