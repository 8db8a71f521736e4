package apply

import (
	"net/netip"

	"github.com/podroutes/podroutes/apply/config"
	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// Wants are the routes cfg asks for, as podroutes installs them.
func Wants(cfg config.Config) []reconcile.Want {
	ws := make([]reconcile.Want, len(cfg.Routes))
	for i, r := range cfg.Routes {
		ws[i] = reconcile.Want{Peer: r.Peer, Route: reconcile.Route{
			Dst:      r.Destination,
			Gw:       r.Gateway,
			Dev:      cfg.Device,
			OnLink:   r.OnLink,
			Protocol: reconcile.Owner,
			Metric:   cfg.Metric,
		}}
	}
	return ws
}

// targets are the gateways cfg's routes need, each once.
func targets(cfg config.Config) []gateway.Target {
	seen := make(map[gateway.Target]bool)
	var ts []gateway.Target
	for _, r := range cfg.Routes {
		t := gateway.Target{Gw: r.Gateway, Dev: cfg.Device, OnLink: r.OnLink}
		if !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	return ts
}

// destinations selects cfg's destinations.
func destinations(cfg config.Config) func(netip.Prefix) bool {
	set := make(map[netip.Prefix]bool, len(cfg.Routes))
	for _, r := range cfg.Routes {
		set[r.Destination] = true
	}
	return func(p netip.Prefix) bool { return set[p] }
}
