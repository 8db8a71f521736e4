package config

import (
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/route"
	"github.com/podroutes/podroutes/internal/valid"
	"github.com/podroutes/podroutes/internal/yamlnode"
)

// config reads the top-level mapping.
func (p *parser) config(root *yaml.Node) Config {
	c := Config{Metric: route.DefaultMetric}
	fs, ok := p.w.Mapping(root, "routes.yaml", "node", "metric", "device", "force", "offLink", "address", "routes")
	if !ok {
		return c
	}
	hasNode := false
	var ds drafts
	for _, f := range fs {
		if yamlnode.IsNull(f.Val) && f.Name != "node" {
			continue // written but empty: the default
		}
		switch f.Name {
		case "node":
			hasNode = true
			c.Node = p.name(f, "node")
		case "metric":
			c.Metric = p.metric(f)
		case "device":
			if s, ok := p.w.Text(f.Val, "device", "an interface name"); ok {
				p.problem(f.Val.Line, valid.Interface("device", s))
				c.Device = s
			}
		case "force":
			c.Force, _ = p.w.Bool(f.Val, "force")
		case "offLink":
			if s, ok := p.w.Text(f.Val, "offLink", OffLinkValues); ok {
				var msg string
				c.OffLink, msg = ParseOffLink(s)
				p.problem(f.Val.Line, msg)
			}
		case "address":
			if s, ok := p.w.Text(f.Val, "address", "this host's node address"); ok {
				var msg string
				c.Address, msg = valid.Addr("address", s)
				p.problem(f.Val.Line, msg)
			}
		case "routes":
			ds = p.routes(f)
		}
	}
	if !hasNode {
		p.w.Addf(root.Line, "missing node: the host this config is for")
	}
	p.crossCheck(ds, c.Device)
	return c.withRoutes(ds)
}

// problem reports msg at line, unless msg is "" (a valid value).
func (p *parser) problem(line int, msg string) {
	if msg != "" {
		p.w.Addf(line, "%s", msg)
	}
}

// name reads f's value as a host name (node, peer).
func (p *parser) name(f yamlnode.Field, what string) string {
	s, ok := p.w.Text(f.Val, what, "a host name")
	if ok {
		p.problem(f.Val.Line, valid.Hostname(what, s))
	}
	return s
}

// withRoutes returns c with the drafts' routes, sorted by destination.
func (c Config) withRoutes(ds drafts) Config {
	c.Routes = nil
	if len(ds.routes) > 0 {
		c.Routes = ds.routes
	}
	byDst := func(a, b Route) int { return route.ComparePrefix(a.Destination, b.Destination) }
	if !slices.IsSortedFunc(c.Routes, byDst) {
		slices.SortFunc(c.Routes, byDst)
	}
	return c
}

// metric returns f's metric; 0 means route.DefaultMetric.
func (p *parser) metric(f yamlnode.Field) uint32 {
	s, ok := p.w.Text(f.Val, "metric", valid.MetricRange)
	if !ok {
		return route.DefaultMetric
	}
	m, msg := valid.Metric(s)
	p.problem(f.Val.Line, msg)
	if m == 0 {
		return route.DefaultMetric
	}
	return m
}
