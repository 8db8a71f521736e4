package inventory

import (
	"cmp"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/valid"
	"github.com/podroutes/podroutes/internal/yamlnode"
)

// settings are the route settings a host may take from defaults:.
type settings struct {
	uplink, networkFile string
	metric              uint32
}

var (
	settingKeys = []string{"uplink", "networkFile", "metric"}
	// defaultKeys are settingKeys and offLink, which is the same for
	// every host (a peer reached through VXLAN must reach back the same
	// way), so it is said once, in defaults: only.
	defaultKeys = append([]string{"offLink"}, settingKeys...)
	hostKeys    = append([]string{"name", "fqdn", "addresses", "podSubnets", "extraSubnets"}, settingKeys...)
)

// parseYAML reads podroutes' YAML inventory:
//
//	defaults: {uplink: eth0, networkFile: 10-netplan-eth0.network, metric: 100, offLink: vxlan}
//	hosts:
//	  - name: node-0
//	    fqdn: node-0.kubernetes.local
//	    addresses: [10.240.0.20, "fd00::20"]
//	    podSubnets: [10.200.0.0/24]
//	    extraSubnets: [10.201.0.0/24]
//	    uplink: eth1
//	    networkFile: 10-eth1.network
//	    metric: 200
//
// Host settings override defaults; an anchored defaults mapping may be
// aliased. Every problem is reported at its line.
func parseYAML(l *diag.List, text string) hostList {
	w := &yamlnode.Walker{L: l, Aliases: true}
	root, ok := w.Decode(text)
	if !ok || root == nil {
		return hostList{}
	}
	var defaults settings
	var hosts *yaml.Node
	var hl hostList
	fs, _ := w.Mapping(root, "the inventory", "defaults", "hosts")
	for _, f := range fs {
		switch {
		case f.Name == "hosts":
			hosts = f.Val
		case !yamlnode.IsNull(f.Val):
			dfs, _ := w.Mapping(f.Val, "defaults", defaultKeys...)
			for _, d := range dfs {
				if d.Name == "offLink" {
					hl.offLink = offLink(w, d)
					continue
				}
				setting(w, &defaults, d)
			}
		}
	}
	switch {
	case hosts == nil || yamlnode.IsNull(hosts):
	case hosts.Kind == yaml.SequenceNode:
		for _, item := range hosts.Content {
			host(w, &hl, item, defaults) // an alias of a host is where it stands, not where its anchor does
		}
	default:
		w.Addf(hosts.Line, "hosts: want a list, got %s", yamlnode.Describe(hosts))
	}
	return hl
}

// host parses one item of hosts: and appends it to hl.
func host(w *yamlnode.Walker, hl *hostList, item *yaml.Node, defaults settings) {
	fs, ok := w.Mapping(item, "host", hostKeys...)
	if !ok {
		return
	}
	h := Host{Line: item.Line}
	var own settings
	var addrs, subnets, extra []field
	for _, f := range fs {
		switch f.Name {
		case "name":
			h.Name, _ = w.Text(f.Val, f.Name, "a host name")
		case "fqdn":
			h.FQDN, _ = w.Text(f.Val, f.Name, "a domain name")
		case "addresses":
			addrs = list(w, f)
		case "podSubnets":
			subnets = list(w, f)
		case "extraSubnets":
			extra = list(w, f)
		default:
			setting(w, &own, f)
		}
	}
	h.Uplink = cmp.Or(own.uplink, defaults.uplink)
	h.NetworkFile = cmp.Or(own.networkFile, defaults.networkFile)
	h.Metric = cmp.Or(own.metric, defaults.metric)
	hl.add(w.L, h, addrs, subnets, extra)
}

// list returns the items of a list of values, or of a single value.
func list(w *yamlnode.Walker, f yamlnode.Field) []field {
	if f.Val.Kind != yaml.SequenceNode {
		if s, ok := w.Text(f.Val, f.Name, "a value or a list of values"); ok {
			return []field{{s, f.Val.Line}}
		}
		return nil
	}
	var fs []field
	for _, item := range f.Val.Content {
		item = w.Resolve(item)
		if s, ok := w.Text(item, f.Name, "a value"); ok {
			fs = append(fs, field{s, item.Line})
		}
	}
	return fs
}

// setting parses one of settingKeys into s, dropping invalid values
// (reported at their line).
func setting(w *yamlnode.Walker, s *settings, f yamlnode.Field) {
	val, ok := w.Text(f.Val, f.Name, "a value")
	if !ok {
		return
	}
	var msg string
	switch f.Name {
	case "metric":
		s.metric, msg = valid.Metric(val)
	case "uplink":
		if msg = valid.Interface("uplink", val); msg == "" {
			s.uplink = val
		}
	case "networkFile":
		if msg = valid.NetworkFile(val); msg == "" {
			s.networkFile = val
		}
	}
	if msg != "" {
		w.Addf(f.Val.Line, "%s", msg)
	}
}

// offLink reads defaults' offLink (config.ParseOffLink), reporting a bad
// one at its line.
func offLink(w *yamlnode.Walker, f yamlnode.Field) config.OffLink {
	val, ok := w.Text(f.Val, f.Name, config.OffLinkValues)
	if !ok {
		return config.OffLinkNone
	}
	mode, msg := config.ParseOffLink(val)
	if msg != "" {
		w.Addf(f.Val.Line, "%s", msg)
	}
	return mode
}
