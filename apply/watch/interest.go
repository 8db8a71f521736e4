package watch

import (
	"net/netip"
	"slices"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/route"
)

// interest says which kernel events can change the config's routes: a
// route to a wanted destination (any owner's: a deletion, or a route that
// takes the destination), an address whose prefix holds a gateway, a link
// that has such an address (or the config's device). The rest (a pod's
// veth coming and going, another owner's routes elsewhere) costs watch the
// reading of the event, nothing more.
type interest struct {
	wanted map[route.Key]bool
	// keys are the wanted routes' keys, each once: what a change of a
	// link that reaches the gateways can have broken. Made with the
	// config, not at each such event; shared, never modified.
	keys []route.Key
	// gws are the wanted gateways, sorted, each once, and byGw the keys
	// of the routes each is the gateway of.
	gws  []netip.Addr
	byGw map[netip.Addr][]route.Key
	// device, when the config pins one, is the only link routes leave by:
	// only its addresses and its state matter.
	device string
	// links are the links that have an address holding a gateway, as of
	// the last pass: their state changes reach the gateways.
	links map[string]bool
	// tunneled: the config sends off-link peers through the tunnel, and
	// address is its node address (config.Config.Address). Which peers
	// are off-link then follows every link and address that reaches a
	// gateway, and the tunnel device and its entries are the config's:
	// changes to those take a full pass, which decides every peer again
	// and deletes what is stale (rare events: a heal stays for routes).
	tunneled bool
	address  netip.Addr
}

func newInterest(cfg config.Config) *interest {
	in := &interest{wanted: make(map[route.Key]bool, len(cfg.Routes)), byGw: map[netip.Addr][]route.Key{}, device: cfg.Device,
		tunneled: cfg.OffLink == config.OffLinkVXLAN, address: cfg.Address}
	for _, r := range cfg.Routes {
		key := apply.Key(r)
		if !in.wanted[key] {
			in.wanted[key] = true
			in.keys = append(in.keys, key)
		}
		if _, ok := in.byGw[r.Gateway]; !ok {
			in.gws = append(in.gws, r.Gateway)
		}
		in.byGw[r.Gateway] = append(in.byGw[r.Gateway], key)
	}
	slices.SortFunc(in.gws, netip.Addr.Compare)
	return in
}

// dirty returns the keys of the wanted routes ev can have changed, and
// whether a full pass is due (events were lost). ev has been observed
// (kernel.Observe).
func (in *interest) dirty(ev kernel.Event) (keys []route.Key, full bool) {
	if in.tunneled {
		if keys, full = in.tunnelDirty(ev); full {
			return nil, true
		}
	}
	switch ev.Kind {
	case kernel.RouteChanged:
		if key := ev.Route.Key(); in.wanted[key] {
			return []route.Key{key}, false
		}
	case kernel.AddrChanged:
		if in.device == "" || ev.Name == in.device {
			return in.within(ev.Prefix.Masked()), false
		}
	case kernel.LinkChanged:
		if in.links[ev.Name] || in.device != "" && ev.Name == in.device {
			return in.keys, false
		}
	case kernel.EventsLost:
		return nil, true
	}
	return nil, false
}

// tunnelDirty says whether ev, with the config tunneled, takes a full
// pass: the tunnel device changed or an entry on it; a link or address
// that reaches a gateway (a peer may move between the tunnel and a direct
// route); this host's node address (the tunnel's underlay) or, without
// one, any global address.
func (in *interest) tunnelDirty(ev kernel.Event) ([]route.Key, bool) {
	switch ev.Kind {
	case kernel.NeighChanged:
		return nil, ev.Name == tunnel.Name
	case kernel.LinkChanged:
		return nil, ev.Name == tunnel.Name || in.links[ev.Name]
	case kernel.AddrChanged:
		a := ev.Prefix.Addr()
		return nil, a == in.address || !in.address.IsValid() && a.IsGlobalUnicast() || in.holds(ev.Prefix.Masked())
	}
	return nil, false
}

// within returns the keys of the routes whose gateway p holds.
func (in *interest) within(p netip.Prefix) []route.Key {
	var keys []route.Key
	for i := in.first(p); i < len(in.gws) && p.Contains(in.gws[i]); i++ {
		keys = append(keys, in.byGw[in.gws[i]]...)
	}
	return keys
}

// holds reports whether p holds a wanted gateway, without listing the
// routes: the uplink's prefix holds them all.
func (in *interest) holds(p netip.Prefix) bool {
	i := in.first(p)
	return i < len(in.gws) && p.Contains(in.gws[i])
}

// first is the index of the first gateway p (masked) can hold.
func (in *interest) first(p netip.Prefix) int {
	i, _ := slices.BinarySearchFunc(in.gws, p.Addr(), netip.Addr.Compare)
	return i
}

// watchLinks notes, after a pass, the links whose state matters: those
// with an address holding a gateway (the one routes leave by among them).
func (in *interest) watchLinks(links []gateway.Link) {
	in.links = map[string]bool{}
	for _, l := range links {
		for _, p := range l.Prefixes {
			if in.holds(p.Masked()) {
				in.links[l.Name] = true
				break
			}
		}
	}
}
