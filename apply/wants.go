package apply

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/route"
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
			Protocol: route.Owner,
			Metric:   cfg.Metric,
		}}
	}
	return ws
}

// Key is the key of the route Wants makes of a config's route r.
func Key(r config.Route) route.Key {
	w := reconcile.Route{Dst: r.Destination}
	return w.Key()
}

// targets are the gateways the wanted routes need, each once, in the order
// the routes first name them. It finds the repeats by sorting indexes (a
// config's gateways usually come sorted), not with a map of them all.
func targets(want []reconcile.Want) []gateway.Target {
	target := func(i int32) gateway.Target { return targetOf(want[i].Route) }
	order := make([]int32, len(want))
	for i := range order {
		order[i] = int32(i)
	}
	onlink := func(t gateway.Target) int {
		if t.OnLink {
			return 1
		}
		return 0
	}
	byTarget := func(a, b int32) int {
		ta, tb := target(a), target(b)
		return cmp.Or(ta.Gw.Compare(tb.Gw), strings.Compare(ta.Dev, tb.Dev), onlink(ta)-onlink(tb), cmp.Compare(a, b))
	}
	if !slices.IsSortedFunc(order, byTarget) {
		slices.SortFunc(order, byTarget)
	}
	repeat := make([]bool, len(want))
	for j := 1; j < len(order); j++ {
		repeat[order[j]] = target(order[j]) == target(order[j-1])
	}
	ts := make([]gateway.Target, 0, len(want))
	for i := range want {
		if !repeat[i] {
			ts = append(ts, target(int32(i)))
		}
	}
	return ts
}

// targetOf is the gateway r needs.
func targetOf(r reconcile.Route) gateway.Target {
	return gateway.Target{Gw: r.Gw, Dev: r.Dev, OnLink: r.OnLink}
}

// resolve sets, for each wanted route, the link it must leave by and
// whether any link reaches its gateway now. The latter is left's to say
// (the targets of want no link reaches, from gateway.Unreachable), so
// that the links are not searched again for every route of every pass.
// A route pinned to a device leaves by it; one without goes where
// gateway.Via says, the link the kernel's nexthop objects are put on.
func resolve(want []reconcile.Want, links []gateway.Link, left []gateway.Target) {
	var unreachable map[gateway.Target]bool // nil when all are reached
	if len(left) > 0 {
		unreachable = make(map[gateway.Target]bool, len(left))
		for _, t := range left {
			unreachable[t] = true
		}
	}
	// Via is asked only about the links that have an address of the
	// gateway's family, the others' cannot hold it: a veth per pod is
	// hundreds of links with only an fe80::/64, which made this 40 ms of
	// a no-op pass of 5000 IPv4 routes beside 300 pods.
	var v4, v6 []gateway.Link
	for _, l := range links {
		if slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Addr().Is4() }) {
			v4 = append(v4, l)
		}
		if slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return !p.Addr().Is4() }) {
			v6 = append(v6, l)
		}
	}
	for i := range want {
		w := &want[i]
		r := w.Route
		w.Unreachable = unreachable[targetOf(r)]
		w.Link = ""
		if r.Dev == "" && !r.OnLink {
			of := v6
			if r.Gw.Is4() {
				of = v4
			}
			w.Link, _ = gateway.Via(of, r.Gw)
		}
	}
}

// only keeps the wanted routes with keys.
func only(want []reconcile.Want, keys []route.Key) []reconcile.Want {
	set := make(map[route.Key]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return slices.DeleteFunc(want, func(w reconcile.Want) bool { return !set[w.Route.Key()] })
}
