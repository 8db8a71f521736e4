package inventory

import (
	"cmp"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/diag"
)

// settings are the route settings a host may take from defaults:.
type settings struct {
	uplink, networkFile string
	metric              uint32
}

var (
	settingKeys = []string{"uplink", "networkFile", "metric"}
	hostKeys    = append([]string{"name", "fqdn", "addresses", "podSubnets", "extraSubnets"}, settingKeys...)
)

// parseYAML reads podroutes' YAML inventory:
//
//	defaults: {uplink: eth0, networkFile: 10-netplan-eth0.network, metric: 100}
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
// Host settings override defaults. Every problem is reported at its line.
func parseYAML(l *diag.List, text string) hostList {
	w := yamlWalker{l}
	if !w.lineBreaks(text) {
		return hostList{}
	}
	root, ok := w.decode(text)
	if !ok || root == nil {
		return hostList{}
	}
	var defaults settings
	var hosts *yaml.Node
	w.mapping(root, "the inventory", []string{"defaults", "hosts"}, func(key string, v *yaml.Node) {
		if key == "hosts" {
			hosts = v
			return
		}
		if resolve(v).Tag != "!!null" {
			w.mapping(v, "defaults", settingKeys, func(key string, v *yaml.Node) { w.setting(&defaults, key, v) })
		}
	})
	var hl hostList
	if hosts == nil {
		return hl
	}
	switch hosts = resolve(hosts); {
	case hosts.Kind == yaml.SequenceNode:
		for _, item := range hosts.Content {
			w.host(&hl, item, defaults)
		}
	case hosts.Tag != "!!null":
		l.Addf(hosts.Line, "hosts: want a list, got %s", kindName(hosts))
	}
	return hl
}

// host parses one item of hosts: and appends it to hl.
func (w yamlWalker) host(hl *hostList, item *yaml.Node, defaults settings) {
	item = resolve(item)
	h := Host{Line: item.Line}
	var own settings
	var addrs, subnets, extra []field
	ok := w.mapping(item, "host", hostKeys, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			h.Name, _ = w.str(v, key)
		case "fqdn":
			h.FQDN, _ = w.str(v, key)
		case "addresses":
			addrs = w.list(v, key)
		case "podSubnets":
			subnets = w.list(v, key)
		case "extraSubnets":
			extra = w.list(v, key)
		default:
			w.setting(&own, key, v)
		}
	})
	if !ok {
		return
	}
	h.Uplink = cmp.Or(own.uplink, defaults.uplink)
	h.NetworkFile = cmp.Or(own.networkFile, defaults.networkFile)
	h.Metric = cmp.Or(own.metric, defaults.metric)
	hl.add(w.l, h, addrs, subnets, extra)
}

// setting parses one of settingKeys into s, dropping invalid values
// (reported at their line).
func (w yamlWalker) setting(s *settings, key string, v *yaml.Node) {
	if key == "metric" {
		s.metric, _ = w.metric(v)
		return
	}
	val, ok := w.str(v, key)
	if !ok {
		return
	}
	check, dst := uplinkProblem, &s.uplink
	if key == "networkFile" {
		check, dst = networkFileProblem, &s.networkFile
	}
	if msg := check(val); msg != "" {
		w.l.Addf(resolve(v).Line, "%s", msg)
		return
	}
	*dst = val
}
