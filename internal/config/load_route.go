package config

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/internal/route"

	"gopkg.in/yaml.v3"
)

// draft is a route as written, in the routes the Config gets, and what the
// cross-checks need to know of it, kept beside them.
type draft struct {
	*Route
	*check
}

type check struct {
	dstOK, gwOK        bool // Destination, Gateway are valid
	gwLine, onlinkLine int
}

// drafts are a file's routes and their checks, side by side: the routes
// become the Config's as they are, not copied out of larger records.
type drafts struct {
	routes []Route
	checks []check
}

func newDrafts(n int) drafts {
	return drafts{routes: make([]Route, 0, n), checks: make([]check, 0, n)}
}

// add adds a route on line; the draft is good until the next add.
func (ds *drafts) add(line int) draft {
	ds.routes = append(ds.routes, Route{Line: line})
	ds.checks = append(ds.checks, check{})
	return ds.at(len(ds.routes) - 1)
}

func (ds *drafts) at(i int) draft { return draft{&ds.routes[i], &ds.checks[i]} }

func (p *parser) routes(f field) drafts {
	var ds drafts
	if f.val.Kind != yaml.SequenceNode {
		p.addf(f.val.Line, "routes: want a list of routes, got %s", describe(f.val))
		return ds
	}
	for _, item := range f.val.Content {
		if item.Kind != yaml.MappingNode {
			p.addf(item.Line, "route: want a mapping with destination and gateway, got %s", describe(item))
			continue
		}
		p.route(item, ds.add(item.Line))
	}
	return ds
}

func (p *parser) route(item *yaml.Node, d draft) {
	var hasDst, hasGw bool
	for _, f := range p.fields(item, "destination", "gateway", "peer", "onlink") {
		switch f.name {
		case "destination":
			hasDst = true
			if s, ok := p.scalar(f, "!!str", "a prefix like 10.200.1.0/24"); ok {
				d.Destination, d.dstOK = p.prefix(f.val.Line, s)
			}
		case "gateway":
			hasGw, d.gwLine = true, f.val.Line
			if s, ok := p.scalar(f, "!!str", "an IP address"); ok {
				d.Gateway, d.gwOK = p.addr(f.val.Line, s)
			}
		case "peer":
			if !isNull(f.val) {
				d.Peer, _ = p.scalar(f, "!!str", "a host name")
			}
		case "onlink":
			if !isNull(f.val) {
				d.OnLink, d.onlinkLine = p.boolean(f), f.val.Line
			}
		}
	}
	if !hasDst {
		p.addf(item.Line, "route has no destination")
	}
	if !hasGw {
		p.addf(item.Line, "route has no gateway")
	}
}

func (p *parser) prefix(line int, s string) (netip.Prefix, bool) {
	if strings.Contains(s, "%") {
		p.addf(line, "destination %q has a zone; a destination never has one", s)
		return netip.Prefix{}, false
	}
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		if a, err := netip.ParseAddr(s); err == nil {
			p.addf(line, "destination %q has no prefix length; did you mean %s/%d?", s, s, a.BitLen())
		} else {
			p.addf(line, "destination %q is not a prefix like 10.200.1.0/24", s)
		}
		return netip.Prefix{}, false
	}
	switch {
	case pfx.Addr().Is4In6():
		hint := ""
		if pfx.Bits() >= 96 {
			hint = fmt.Sprintf("; write %s", netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96).Masked())
		}
		p.addf(line, "destination %s is an IPv4-mapped IPv6 prefix%s", s, hint)
	case pfx.Bits() == 0:
		p.addf(line, "destination %s is a default route; a default route is never podroutes'", s)
	case pfx.Masked() != pfx:
		p.addf(line, "destination %s has host bits set; did you mean %s?", s, pfx.Masked())
	default:
		return pfx, true
	}
	return netip.Prefix{}, false
}

func (p *parser) addr(line int, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil && strings.Contains(s, "/"):
		p.addf(line, "gateway %q is a prefix; want one address", s)
	case err != nil:
		p.addf(line, "gateway %q is not an IP address", s)
	case a.Zone() != "":
		p.addf(line, "gateway %s has a zone; set device instead", s)
	case a.Is4In6():
		p.addf(line, "gateway %s is an IPv4-mapped IPv6 address; write %s", s, a.Unmap())
	case !a.IsGlobalUnicast() && !a.IsLinkLocalUnicast():
		p.addf(line, "gateway %s is not a unicast address", s)
	default:
		return a, true
	}
	return netip.Addr{}, false
}

// crossCheck reports what is wrong with routes together: duplicates,
// contradictions, gateways that podroutes' own routes would have to reach.
func (p *parser) crossCheck(ds drafts, device string) {
	first := ds.byDestination()
	for i := range ds.routes {
		d := ds.at(i)
		if d.dstOK {
			if f := ds.at(first(d.Destination)); f.Route != d.Route && d.gwOK && f.gwOK && d.Gateway != f.Gateway {
				p.addf(d.Line, "route to %s via %s contradicts line %d (via %s)", d.Destination, d.Gateway, f.Line, f.Gateway)
			} else if f.Route != d.Route {
				p.addf(d.Line, "duplicate route to %s, first on line %d", d.Destination, f.Line)
			}
		}
		if d.OnLink && device == "" {
			p.addf(d.onlinkLine, "onlink needs device: set device to the interface the gateway is on")
		}
		if !d.gwOK {
			continue
		}
		if d.Gateway.Is6() && d.Gateway.IsLinkLocalUnicast() && device == "" {
			p.addf(d.gwLine, "gateway %s is link-local: it needs device", d.Gateway)
		}
		if d.dstOK && d.Destination.Addr().Is4() != d.Gateway.Is4() {
			p.addf(d.gwLine, "gateway %s is %s but destination %s is %s", d.Gateway, family(d.Gateway), d.Destination, family(d.Destination.Addr()))
		}
	}
	// A gateway inside a destination is reachable only through a route
	// podroutes installs (or the route points at itself): check each gateway
	// against the prefix lengths the destinations have, not every route.
	var lengths [129]bool
	for i, r := range ds.routes {
		if ds.checks[i].dstOK {
			lengths[r.Destination.Bits()] = true
		}
	}
	for i, r := range ds.routes {
		c := ds.checks[i]
		if !c.gwOK {
			continue
		}
		for bits := r.Gateway.BitLen(); bits > 0; bits-- {
			if !lengths[bits] {
				continue
			}
			pfx, _ := r.Gateway.Prefix(bits)
			if f := first(pfx); f >= 0 {
				p.addf(c.gwLine, "gateway %s is inside destination %s (line %d); a gateway must be reachable without podroutes' routes", r.Gateway, pfx, ds.routes[f].Line)
				break
			}
		}
	}
}

// byDestination returns a function that finds the first route (by index) to
// a destination among the valid ones, -1 if none: a binary search of their
// indexes sorted by destination (a file's routes usually come sorted).
func (ds *drafts) byDestination() func(netip.Prefix) int {
	order := make([]int32, 0, len(ds.routes))
	for i := range ds.routes {
		if ds.checks[i].dstOK {
			order = append(order, int32(i))
		}
	}
	byDst := func(a, b int32) int {
		return cmp.Or(route.ComparePrefix(ds.routes[a].Destination, ds.routes[b].Destination), cmp.Compare(a, b))
	}
	if !slices.IsSortedFunc(order, byDst) {
		slices.SortFunc(order, byDst)
	}
	return func(pfx netip.Prefix) int {
		j, found := slices.BinarySearchFunc(order, pfx, func(i int32, pfx netip.Prefix) int {
			return route.ComparePrefix(ds.routes[i].Destination, pfx)
		})
		if !found {
			return -1
		}
		return int(order[j])
	}
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}
