package inventory

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
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
}

// checkHost reports the problems of one host on its own.
func checkHost(l *diag.List, h Host, partial bool) {
	problem := func(msg string) {
		if msg != "" {
			l.Addf(h.Line, "%s", msg)
		}
	}
	problem(nameProblem("hostname", h.Name))
	if h.FQDN != "" {
		problem(nameProblem("fqdn", h.FQDN))
	}
	if h.Uplink != "" {
		problem(uplinkProblem(h.Uplink))
	}
	if h.NetworkFile != "" {
		problem(networkFileProblem(h.NetworkFile))
	}
	var has [2]int // addresses per family: IPv4, IPv6
	for i, a := range h.Addrs {
		problem(addrProblem(a))
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
		problem(prefixProblem(p))
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
