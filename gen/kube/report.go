package kube

import (
	"slices"
	"strings"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/logs"
)

// reporter logs the problems of each snapshot that the last did not
// have, and the Nodes routed again, so that a Node that stays wrong is
// logged once, not at every change of another.
type reporter struct {
	last map[string]string // Node name: its problem
}

func (r *reporter) report(log logs.Logger, snap Snapshot) {
	now := make(map[string]string, len(snap.Problems))
	for _, p := range snap.Problems {
		now[p.Node] = p.Msg
		if msg, ok := r.last[p.Node]; !ok || msg != p.Msg {
			log.Warnf("%s", p)
		}
	}
	hosts := snap.Inventory.Hosts // sorted by name
	for name := range r.last {
		if _, still := now[name]; still {
			continue
		}
		i, found := slices.BinarySearchFunc(hosts, name, func(h inventory.Host, name string) int { return strings.Compare(h.Name, name) })
		if found && len(hosts[i].Subnets) > 0 {
			log.Infof("node %q is routed now", name)
		}
	}
	r.last = now
}
