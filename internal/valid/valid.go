// Package valid holds the one rule for each value podroutes reads from a
// file: addresses, prefixes, metrics, host, interface and .network file
// names. The inventory parsers, routes.yaml's readers and the command line
// all call these, so a value one accepts the others accept too, and the
// messages are the same wherever the value was written. Each function
// returns "" for a good value, or a message that names the value, to be
// reported at its file and line.
package valid

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Addr parses s as a host address or gateway: IPv4 or IPv6, one address
// (not a prefix), no zone, not IPv4-mapped, unicast (global, or IPv6
// link-local: not unspecified, loopback, multicast or broadcast), and not
// IPv4 link-local: 169.254.0.0/16 is each link's own (a cloud's metadata
// service at 169.254.169.254), never another host's address to route via.
// An IPv6 link-local one is, on a named link (NeedsDevice). what names the
// value in the message ("gateway", "address").
func Addr(what, s string) (netip.Addr, string) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil && strings.Contains(s, "/"):
		return netip.Addr{}, fmt.Sprintf("%s %q is a prefix; want one address", what, s)
	case err != nil:
		return netip.Addr{}, fmt.Sprintf("%s %q is not an IP address", what, s)
	case a.Zone() != "":
		return a, fmt.Sprintf("%s %s has a zone; name the interface with device (routes.yaml) or uplink (inventory) instead", what, a)
	case a.Is4In6():
		return a, fmt.Sprintf("%s %s is an IPv4-mapped IPv6 address; write %s", what, a, a.Unmap())
	case !a.IsGlobalUnicast() && !a.IsLinkLocalUnicast():
		return a, fmt.Sprintf("%s %s is not a unicast address", what, a)
	case a.Is4() && a.IsLinkLocalUnicast():
		return a, fmt.Sprintf("%s %s is in the link-local range 169.254.0.0/16: each link's own (a cloud's metadata service), never a host to route via", what, a)
	}
	return a, ""
}

// NeedsDevice reports whether a route via gateway a must name its device:
// an IPv6 link-local address is the same on every link, so the kernel
// cannot choose one (Addr refuses IPv4 link-local ones).
func NeedsDevice(a netip.Addr) bool {
	return a.Is6() && a.IsLinkLocalUnicast()
}

// Prefix parses s as a routed subnet: IPv4 or IPv6, with a length, no
// zone, not IPv4-mapped, not a default route (/0), no host bits set, and
// clear of the ranges no pod subnet is in (notRouted). what names the
// value in the message ("destination", "subnet").
func Prefix(what, s string) (netip.Prefix, string) {
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Sprintf("%s %q has a zone; a routed subnet never has one", what, s)
	}
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		if a, err := netip.ParseAddr(s); err == nil {
			return netip.Prefix{}, fmt.Sprintf("%s %q has no prefix length; did you mean %s/%d?", what, s, s, a.BitLen())
		}
		return netip.Prefix{}, fmt.Sprintf("%s %q is not a prefix like 10.200.1.0/24", what, s)
	case p.Addr().Is4In6():
		hint := ""
		if p.Bits() >= 96 {
			hint = fmt.Sprintf("; write %s", netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked())
		}
		return p, fmt.Sprintf("%s %s is an IPv4-mapped IPv6 prefix%s", what, p, hint)
	case p.Bits() == 0:
		return p, fmt.Sprintf("%s %s is a default route; a default route is never podroutes'", what, p)
	case p.Masked() != p:
		return p, fmt.Sprintf("%s %s has host bits set; did you mean %s?", what, p, p.Masked())
	}
	for _, r := range notRouted {
		if p.Overlaps(r.prefix) {
			return p, fmt.Sprintf("%s %s overlaps %s %s: %s", what, p, r.name, r.prefix, r.why)
		}
	}
	return p, ""
}

// notRouted are the ranges a route via another host must stay clear of.
// The kernel takes such a route all the same, and it then does nothing or
// harm: one more specific than the local table's 127.0.0.0/8 takes
// loopback addresses away (127.0.0.0/24 takes systemd-resolved's
// 127.0.0.53, measured in a namespace), and at podroutes' metric 100 a
// link-local route wins over the kernel's own (metric 256 for fe80::/64):
// the link's neighbours go via the gateway, as could a cloud's metadata
// service at 169.254.169.254.
var notRouted = []struct {
	name, why string
	prefix    netip.Prefix
}{
	{"the \"this network\" range", "never a destination", netip.MustParsePrefix("0.0.0.0/8")},
	{"the loopback range", "this host's own, which a route takes away", netip.MustParsePrefix("127.0.0.0/8")},
	{"the link-local range", "each link's own neighbours", netip.MustParsePrefix("169.254.0.0/16")},
	{"the multicast range", "groups, not a subnet behind a host", netip.MustParsePrefix("224.0.0.0/4")},
	{"the broadcast address", "the local link's own", netip.MustParsePrefix("255.255.255.255/32")},
	{"the unspecified address", "never a destination", netip.MustParsePrefix("::/128")},
	{"the loopback address", "this host's own", netip.MustParsePrefix("::1/128")},
	{"the link-local range", "each link's own neighbours", netip.MustParsePrefix("fe80::/10")},
	{"the multicast range", "groups, not a subnet behind a host", netip.MustParsePrefix("ff00::/8")},
}

// MetricRange describes a metric as Metric accepts it.
const MetricRange = "a decimal integer from 0 to 4294967295 (0: the default)"

// Metric parses s, a YAML integer's text, as a route metric: decimal
// digits only, 0 to 4294967295, 0 meaning the default. A leading zero,
// a sign, hexadecimal, octal and YAML's underscores are refused: YAML
// reads `010` as 8 and `0x10` as 16, which nobody writing a metric means.
func Metric(s string) (uint32, string) {
	bad := s == "" || len(s) > 1 && s[0] == '0' || strings.TrimLeft(s, "0123456789") != ""
	m, err := strconv.ParseUint(s, 10, 64)
	switch {
	case !bad && err == nil && m <= math.MaxUint32:
		return uint32(m), ""
	case !bad:
		return 0, fmt.Sprintf("metric %s is out of range: want %s", s, MetricRange)
	case len(s) > 1 && s[0] == '0' && strings.TrimLeft(s, "0123456789") == "":
		return 0, fmt.Sprintf("metric %s has a leading zero (YAML reads it as octal); write %s", s, strings.TrimLeft(s, "0"))
	}
	return 0, fmt.Sprintf("metric %q: want %s", s, MetricRange)
}

// Interface says what is wrong with s as a Linux interface name: 1 to 15
// bytes, no '/', ':' or white space, not "." or "..".
func Interface(what, s string) string {
	switch {
	case s == "":
		return "empty " + what
	case len(s) > 15:
		return fmt.Sprintf("%s %q is longer than 15 bytes, the kernel's limit for an interface name", what, s)
	case s == "." || s == "..":
		return fmt.Sprintf("%s %q is not an interface name", what, s)
	case strings.ContainsAny(s, "/: \t\n\r\v\f"):
		return fmt.Sprintf("%s %q is not an interface name: it contains '/', ':' or white space", what, s)
	}
	return ""
}

// NetworkFile says what is wrong with s as the name of a systemd-networkd
// .network file: a file name, not a path, ending in .network, without
// white space or control characters.
func NetworkFile(s string) string {
	switch {
	case s == "":
		return "empty .network file name"
	case strings.Contains(s, "/"):
		return fmt.Sprintf("networkFile %q must be a file name, without '/'", s)
	case !strings.HasSuffix(s, ".network") || s == ".network":
		return fmt.Sprintf("networkFile %q must end in .network", s)
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Sprintf("networkFile %q contains white space or control characters", s)
	}
	return ""
}

// Hostname says what is wrong with s as a host name or FQDN: an RFC 1123
// subdomain, as Kubernetes names Nodes (letters, digits, '-' and '.',
// labels of 1 to 63, 253 in all), compared without case. what names the
// value in the message ("hostname", "fqdn", "node", "peer").
func Hostname(what, s string) string {
	if s == "" {
		return "missing " + what
	}
	if len(s) > 253 {
		return fmt.Sprintf("%s %.20q... is longer than 253 characters", what, s)
	}
	for label := range strings.SplitSeq(s, ".") {
		if msg := labelProblem(label); msg != "" {
			return fmt.Sprintf("malformed %s %q: %s", what, s, msg)
		}
	}
	return ""
}

// SameHostname reports whether a and b are the same host name: equal but
// for the case of ASCII letters, as RFC 1123 compares names. Not
// strings.EqualFold: its Unicode folding makes U+212A KELVIN SIGN a 'k'
// and U+017F LONG S an 's', so a name no host may have would match one.
func SameHostname(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// HostnameKey is s with its ASCII letters in lower case: the key host
// names are looked up by, so that names SameHostname finds equal, and
// only those, have the same key.
func HostnameKey(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func labelProblem(label string) string {
	switch {
	case label == "":
		return "empty label"
	case len(label) > 63:
		return "label longer than 63 characters"
	case label[0] == '-' || label[len(label)-1] == '-':
		return "label starts or ends with '-'"
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Sprintf("character %q not allowed (want letters, digits, '-' and '.')", c)
		}
	}
	return ""
}
