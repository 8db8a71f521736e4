package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
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

// parseAddr parses a host address as an inventory accepts it: IPv4 or IPv6,
// without zone, not IPv4-mapped, not unspecified, loopback or multicast. On
// failure it returns the problem as a message quoting s.
func parseAddr(s string) (netip.Addr, string) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		if strings.Contains(s, "/") {
			return netip.Addr{}, fmt.Sprintf("malformed address %q: want an address without /length", s)
		}
		return netip.Addr{}, fmt.Sprintf("malformed address %q", s)
	}
	return a, addrProblem(a)
}

// addrProblem says what is wrong with a as a host address, or "".
func addrProblem(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "invalid address"
	case a.Zone() != "":
		return fmt.Sprintf("address %q has a zone; zones are not allowed", a)
	case a.Is4In6():
		return fmt.Sprintf("IPv4-mapped address %q; write it as %s", a, a.Unmap())
	case a.IsUnspecified(), a.IsLoopback(), a.IsMulticast():
		return fmt.Sprintf("address %q is not a host address", a)
	}
	return ""
}

// parsePrefix parses a subnet as an inventory accepts it: an IPv4 or IPv6
// network without host bits, not IPv4-mapped, not /0. On failure it returns
// the problem as a message quoting s.
func parsePrefix(s string) (netip.Prefix, string) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if !strings.Contains(s, "/") {
			return netip.Prefix{}, fmt.Sprintf("malformed prefix %q: missing /length", s)
		}
		return netip.Prefix{}, fmt.Sprintf("malformed prefix %q", s)
	}
	return p, prefixProblem(p)
}

// prefixProblem says what is wrong with p as a routed subnet, or "".
func prefixProblem(p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return "invalid prefix"
	case p.Addr().Is4In6():
		return fmt.Sprintf("IPv4-mapped prefix %q is not allowed", p)
	case p.Bits() == 0:
		return fmt.Sprintf("prefix %s is a default route; refused", p)
	case p != p.Masked():
		return fmt.Sprintf("%s has host bits set; did you mean %s?", p, p.Masked())
	}
	return ""
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
	complete := true
	for _, f := range addrs {
		a, msg := parseAddr(f.text)
		if msg == "" {
			if old, ok := h.Addr(a.Is6()); ok {
				msg = fmt.Sprintf("two %s addresses, %s and %s: want at most one per family", family(a.Is6()), old, a)
			}
		}
		if msg != "" {
			l.Addf(f.line, "%s", msg)
			complete = false
			continue
		}
		h.Addrs = append(h.Addrs, a)
	}
	slices.SortStableFunc(h.Addrs, func(a, b netip.Addr) int { return compareBool(a.Is6(), b.Is6()) })
	var pod [2]netip.Prefix
	for i, f := range slices.Concat(pods, extra) {
		p, msg := parsePrefix(f.text)
		if is6 := b2i(p.Addr().Is6()); msg == "" && i < len(pods) {
			if pod[is6].IsValid() {
				msg = fmt.Sprintf("two %s pod subnets, %s and %s: want at most one per family", family(is6 == 1), pod[is6], p)
			}
			pod[is6] = p
		}
		if msg != "" {
			l.Addf(f.line, "%s", msg)
			complete = false
			continue
		}
		h.Subnets = append(h.Subnets, p)
	}
	hl.hosts = append(hl.hosts, h)
	hl.partial = append(hl.partial, !complete)
	return len(hl.hosts) - 1
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
