package apply

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/logs"
)

// Tunnels is a Kernel that can read and change podroutes' VXLAN device
// (kernel.Kernel): what a config with offLink: vxlan needs, and what
// Remove takes away.
type Tunnels interface {
	Tunnel() (tunnel.Observed, error)
	ChangeTunnel([]tunnel.Change) error
}

// offLink is what a pass needs of a config to send its off-link peers
// through the tunnel: the mode, this host's node address, and each
// peer's node addresses by family, from every wanted route (a heal sees
// only some), for a peer whose subnet's family is not the underlay's.
type offLink struct {
	mode    config.OffLink
	address netip.Addr
	nodes   map[string][2]netip.Addr // peer: IPv4, IPv6 gateway
}

// offLinkOf is cfg's offLink, from want, all of cfg's wanted routes.
func offLinkOf(cfg config.Config, want []reconcile.Want) offLink {
	ol := offLink{mode: cfg.OffLink, address: cfg.Address}
	if ol.mode == config.OffLinkNone {
		return ol
	}
	ol.nodes = map[string][2]netip.Addr{}
	for _, w := range want {
		if w.Peer == "" {
			continue
		}
		n := ol.nodes[w.Peer]
		if i := family(w.Route.Gw); !n[i].IsValid() {
			n[i] = w.Route.Gw
			ol.nodes[w.Peer] = n
		}
	}
	return ol
}

// family is 0 for an IPv4 address, 1 for IPv6.
func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// tunneled is what a pass decided of the tunnel.
type tunneled struct {
	// on: the config sends off-link peers through the tunnel.
	on bool
	// ready: the underlay is up, and spec is the tunnel wanted; without
	// it (at boot, before this host's node address is on a link) the
	// off-link peers wait as they would without the tunnel, and the
	// tunnel is left as it is.
	ready bool
	spec  tunnel.Spec
	// changes are what makes the tunnel spec (tunnel.Diff), split: pre
	// before the routes are written (they need the device and their
	// neighbour), post after (stale entries, the device no route needs
	// any more), so that a peer moving between the tunnel and a direct
	// route keeps a path throughout.
	pre, post []tunnel.Change
	// observed is the tunnel as planTunnel read it, if it did.
	observed *tunnel.Observed
}

// throughTunnel sends the wanted routes whose gateways no link reaches
// (left) through the tunnel, when ol says so and the underlay is up: each
// becomes `DST via tunnel.Gateway(DST) dev podroutes-vx onlink`, and its
// peer an entry of the tunnel's spec. It returns the gateways still left:
// those of the routes it could not send (a peer without a node address of
// the underlay's family).
func throughTunnel(want []reconcile.Want, links []gateway.Link, left []gateway.Target, ol offLink) (tunneled, []gateway.Target) {
	t := tunneled{on: ol.mode == config.OffLinkVXLAN}
	if !t.on {
		return t, left
	}
	local, linkMTU, ok := underlay(links, ol.address)
	if !ok {
		return t, left
	}
	t.ready = true
	t.spec = tunnel.Spec{Local: local, MTU: tunnel.MTU(local, linkMTU)}
	if len(left) == 0 {
		return t, left
	}
	off := make(map[gateway.Target]bool, len(left))
	for _, g := range left {
		off[g] = true
	}
	still := map[gateway.Target]bool{}
	for i := range want {
		w := &want[i]
		target := targetOf(w.Route)
		if !off[target] {
			continue
		}
		node := w.Route.Gw
		if family(node) != family(local) {
			node = ol.nodes[w.Peer][family(local)]
		}
		if !node.IsValid() {
			still[target] = true
			continue
		}
		inner := tunnel.Gateway(w.Route.Dst)
		w.Route.Gw, w.Route.Dev, w.Route.OnLink = inner, tunnel.Name, true
		t.spec.Peers = append(t.spec.Peers, tunnel.Peer{Inner: inner, Node: node})
	}
	return t, slices.DeleteFunc(left, func(g gateway.Target) bool { return !still[g] })
}

// underlay is the address the tunnel sends from and the MTU of its link:
// this host's node address, once it is on an up link; for a host the
// inventory has no address of (a guest: the API server's machine, which
// no host routes to), the first global address of an up link, IPv4
// first. ok is false until there is one.
func underlay(links []gateway.Link, address netip.Addr) (local netip.Addr, mtu int, ok bool) {
	for _, v6 := range []bool{false, true} {
		for _, l := range links {
			if !l.Up || l.Name == tunnel.Name {
				continue
			}
			for _, p := range l.Prefixes {
				a := p.Addr()
				if address.IsValid() && a == address || !address.IsValid() && a.Is6() == v6 && a.IsGlobalUnicast() {
					return a, l.MTU, true
				}
			}
		}
		if address.IsValid() {
			break
		}
	}
	return netip.Addr{}, 0, false
}

// planTunnel reads the tunnel and plans the changes that make it t.spec.
// A heal (only) makes what its routes need and deletes nothing: the other
// peers' entries are not in its spec. Without offLink vxlan, a full pass
// deletes the device an earlier config left (one lookup by name).
func planTunnel(k Kernel, t *tunneled, only bool) error {
	tk, ok := k.(Tunnels)
	switch {
	case t.on && !ok:
		return errors.New("offLink vxlan: this kernel cannot make tunnels")
	case !t.on && (!ok || only), t.on && !t.ready:
		return nil
	}
	obs, err := tk.Tunnel()
	if err != nil {
		return fmt.Errorf("reading the tunnel: %w", err)
	}
	t.observed = &obs
	changes, err := tunnel.Diff(obs, t.spec)
	if err != nil {
		return err
	}
	for _, c := range changes {
		switch {
		case len(t.spec.Peers) == 0 || c.Op == tunnel.DeleteNeighbour || c.Op == tunnel.DeleteFDB:
			if !only {
				t.post = append(t.post, c)
			}
		default:
			t.pre = append(t.pre, c)
		}
	}
	return nil
}

// changeTunnel makes changes through tk, logging them: the first
// diag.Listed one a line, as the routes' writes, and a line counting the
// rest (a first apply with 2500 peers through the tunnel makes 5000
// entries).
func changeTunnel(tk Tunnels, changes []tunnel.Change, log logs.Logger) error {
	if len(changes) == 0 {
		return nil
	}
	err := tk.ChangeTunnel(changes)
	if log != nil {
		var lines strings.Builder
		for i, c := range changes[:min(len(changes), diag.Listed)] {
			if i > 0 {
				lines.WriteByte('\n')
			}
			fmt.Fprintf(&lines, "tunnel: %s", c)
		}
		log.Infof("%s", lines.String())
		if n := len(changes) - diag.Listed; n > 0 {
			log.Infof("tunnel: %s", diag.More(n, "change"))
		}
	}
	if err != nil {
		return fmt.Errorf("tunnel: %w", err)
	}
	return nil
}

// RemoveTunnel deletes podroutes' VXLAN device, if k has tunnels and
// there is one, with its entries and the routes through it; a foreign
// device of its name stays, named in the error.
func RemoveTunnel(k any, log logs.Logger) error {
	tk, ok := k.(Tunnels)
	if !ok {
		return nil
	}
	obs, err := tk.Tunnel()
	if err != nil {
		return fmt.Errorf("reading the tunnel: %w", err)
	}
	changes, err := tunnel.Diff(obs, tunnel.Spec{})
	if err != nil {
		return err
	}
	return changeTunnel(tk, changes, log)
}

// leaveOut leaves the routes through the tunnel out of the pass, for err,
// the tunnel's failure: they join out (each shows as left out, with why)
// and err joins leftOut. The tunnel is not changed.
func (t *tunneled) leaveOut(want []reconcile.Want, out []reconcile.Omitted, leftOut, err error) ([]reconcile.Want, []reconcile.Omitted, error) {
	why := "through the tunnel: " + err.Error()
	want = slices.DeleteFunc(want, func(w reconcile.Want) bool {
		if w.Route.Dev != tunnel.Name {
			return false
		}
		out = append(out, reconcile.Omitted{Want: w, Why: why})
		return true
	})
	t.pre, t.post = nil, nil
	return want, out, errors.Join(leftOut, fmt.Errorf("tunnel %s: %w", tunnel.Name, err))
}

// writeChanges prints the tunnel's changes as a dry run's plan, one a
// line, before the routes' writes.
func (t *tunneled) writeChanges(w io.Writer) error {
	for _, c := range slices.Concat(t.pre, t.post) {
		if _, err := fmt.Fprintf(w, "tunnel: %s\n", c); err != nil {
			return err
		}
	}
	return nil
}

// paths counts want by the path each route takes, direct or through the
// tunnel (reconcile.Path): those t sent through it are its peers.
func paths(want []reconcile.Want, t tunneled) map[string]int {
	vxlan := len(t.spec.Peers)
	return map[string]int{"direct": len(want) - vxlan, "vxlan": vxlan}
}
