package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/valid"
)

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
