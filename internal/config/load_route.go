package config

import (
	"net/netip"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/valid"
	"github.com/podroutes/podroutes/internal/yamlnode"
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

func (p *parser) routes(f yamlnode.Field) drafts {
	var ds drafts
	if f.Val.Kind != yaml.SequenceNode {
		p.w.Addf(f.Val.Line, "routes: want a list of routes, got %s", yamlnode.Describe(f.Val))
		return ds
	}
	for _, item := range f.Val.Content {
		if item.Kind != yaml.MappingNode {
			p.w.Addf(item.Line, "route: want a mapping with destination and gateway, got %s", yamlnode.Describe(item))
			continue
		}
		p.route(item, ds.add(item.Line))
	}
	return ds
}

func (p *parser) route(item *yaml.Node, d draft) {
	var hasDst, hasGw bool
	fs, _ := p.w.Mapping(item, "route", "destination", "gateway", "peer", "onlink")
	for _, f := range fs {
		switch f.Name {
		case "destination":
			hasDst = true
			if s, ok := p.w.Text(f.Val, "destination", "a prefix like 10.200.1.0/24"); ok {
				d.Destination, d.dstOK = p.prefix(f.Val.Line, s)
			}
		case "gateway":
			hasGw, d.gwLine = true, f.Val.Line
			if s, ok := p.w.Text(f.Val, "gateway", "an IP address"); ok {
				d.Gateway, d.gwOK = p.addr(f.Val.Line, s)
			}
		case "peer":
			if !yamlnode.IsNull(f.Val) {
				d.Peer = p.name(f, "peer")
			}
		case "onlink":
			if !yamlnode.IsNull(f.Val) {
				d.OnLink, _ = p.w.Bool(f.Val, "onlink")
				d.onlinkLine = f.Val.Line
			}
		}
	}
	if !hasDst {
		p.w.Addf(item.Line, "route has no destination")
	}
	if !hasGw {
		p.w.Addf(item.Line, "route has no gateway")
	}
}

// prefix reads a destination (valid.Prefix), reporting a bad one at line.
func (p *parser) prefix(line int, s string) (netip.Prefix, bool) {
	pfx, msg := valid.Prefix("destination", s)
	p.problem(line, msg)
	return pfx, msg == ""
}

// addr reads a gateway (valid.Addr), reporting a bad one at line.
func (p *parser) addr(line int, s string) (netip.Addr, bool) {
	a, msg := valid.Addr("gateway", s)
	p.problem(line, msg)
	return a, msg == ""
}

// crossCheck reports what is wrong with routes together: duplicates,
// contradictions, gateways that podroutes' own routes would have to reach.
func (p *parser) crossCheck(ds drafts, device string) {
	first := ds.byDestination()
	for i := range ds.routes {
		d := ds.at(i)
		if d.dstOK {
			if f := ds.at(int(first[d.Destination])); f.Route != d.Route && d.gwOK && f.gwOK && d.Gateway != f.Gateway {
				p.w.Addf(d.Line, "route to %s via %s contradicts line %d (via %s)", d.Destination, d.Gateway, f.Line, f.Gateway)
			} else if f.Route != d.Route {
				p.w.Addf(d.Line, "duplicate route to %s, first on line %d", d.Destination, f.Line)
			}
		}
		if d.OnLink && device == "" {
			p.w.Addf(d.onlinkLine, "onlink needs device: set device to the interface the gateway is on")
		}
		if !d.gwOK {
			continue
		}
		if valid.NeedsDevice(d.Gateway) && device == "" {
			p.w.Addf(d.gwLine, "gateway %s is link-local: it needs device (the interface it is on)", d.Gateway)
		}
		if d.dstOK && d.Destination.Addr().Is4() != d.Gateway.Is4() {
			p.w.Addf(d.gwLine, "gateway %s is %s but destination %s is %s", d.Gateway, family(d.Gateway), d.Destination, family(d.Destination.Addr()))
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
			if f, ok := first[pfx]; ok {
				p.w.Addf(c.gwLine, "gateway %s is inside destination %s (line %d); a gateway must be reachable without podroutes' routes", r.Gateway, pfx, ds.routes[f].Line)
				break
			}
		}
	}
}

// byDestination returns the index of the first route to each valid
// destination: one map, so that each route's and each gateway's lookup
// is O(1) (a sorted index and binary searches cost a third of parsing).
func (ds *drafts) byDestination() map[netip.Prefix]int32 {
	first := make(map[netip.Prefix]int32, len(ds.routes))
	for i, r := range ds.routes {
		if _, seen := first[r.Destination]; ds.checks[i].dstOK && !seen {
			first[r.Destination] = int32(i)
		}
	}
	return first
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}
