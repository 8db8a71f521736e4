package config

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/internal/route"

	"gopkg.in/yaml.v3"
)

// config reads the top-level mapping.
func (p *parser) config(root *yaml.Node) Config {
	c := Config{Metric: route.DefaultMetric}
	if root.Kind != yaml.MappingNode {
		p.addf(root.Line, "want a mapping with node and routes, got %s", describe(root))
		return c
	}
	hasNode := false
	var ds drafts
	for _, f := range p.fields(root, "node", "metric", "device", "force", "routes") {
		if isNull(f.val) && f.name != "node" {
			continue // written but empty: the default
		}
		switch f.name {
		case "node":
			hasNode = true
			if s, ok := p.scalar(f, "!!str", "a host name"); ok {
				if strings.TrimSpace(s) == "" {
					p.addf(f.val.Line, "node is empty; want the host this config is for")
				}
				c.Node = s
			}
		case "metric":
			c.Metric = p.metric(f)
		case "device":
			c.Device = p.device(f)
		case "force":
			c.Force = p.boolean(f)
		case "routes":
			ds = p.routes(f)
		}
	}
	if !hasNode {
		p.addf(root.Line, "missing node: the host this config is for")
	}
	p.crossCheck(ds, c.Device)
	return c.withRoutes(ds)
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

const metricRange = "an integer from 1 to 4294967295"

// metric returns f's metric; 0 means route.DefaultMetric.
func (p *parser) metric(f field) uint32 {
	s, ok := p.scalar(f, "!!int", metricRange)
	if !ok {
		return route.DefaultMetric
	}
	m, err := strconv.ParseInt(s, 0, 64)
	if err != nil || m < 0 || m > math.MaxUint32 {
		p.addf(f.val.Line, "metric: want %s, got %s", metricRange, s)
		return route.DefaultMetric
	}
	if m == 0 {
		return route.DefaultMetric
	}
	return uint32(m)
}

// device returns f's interface name, reporting one the kernel would refuse
// (dev_valid_name: 1-15 bytes, not . or .., no /, : or white space).
func (p *parser) device(f field) string {
	s, ok := p.scalar(f, "!!str", "an interface name")
	if !ok {
		return ""
	}
	if s == "" || len(s) > 15 || s == "." || s == ".." || strings.ContainsAny(s, "/: \t\n\v\f\r") {
		p.addf(f.val.Line, "device %q is not an interface name (1-15 bytes, no /, : or spaces)", s)
	}
	return s
}

func (p *parser) boolean(f field) bool {
	var b bool
	if _, ok := p.scalar(f, "!!bool", "true or false"); ok {
		_ = f.val.Decode(&b) // cannot fail: the tag is !!bool
	}
	return b
}
