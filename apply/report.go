package apply

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/tunnel"
)

// Report is what check says: every route (Plan), and the tunnel's
// verdict when the config sends peers through it or a device of
// podroutes' is there.
type Report struct {
	Plan reconcile.Plan
	// Tunnel is nil when there is no tunnel to speak of.
	Tunnel *TunnelReport
}

// TunnelReport is the tunnel's verdict.
type TunnelReport struct {
	// Waiting: offLink vxlan, but this host's node address (Address; or,
	// for a host without one, any address) is on no up link yet; the
	// off-link peers wait for it.
	Waiting bool
	Address netip.Addr
	// Spec is the tunnel wanted (its MTU is the pods' at most), and
	// Status how the kernel's is.
	Spec   tunnel.Spec
	Status tunnel.Status
}

// InPlace reports whether the tunnel is as wanted.
func (t *TunnelReport) InPlace() bool {
	return t == nil || !t.Waiting && t.Status.InPlace() && t.Status.Device != tunnel.Foreign
}

// tunnelReport is the verdict on what diff read of the tunnel, nil when
// there is nothing to say: no offLink vxlan and no device of podroutes'.
func tunnelReport(t tunneled, address netip.Addr) (*TunnelReport, error) {
	switch {
	case t.on && !t.ready:
		return &TunnelReport{Waiting: true, Address: address}, nil
	case t.observed == nil:
		return nil, nil
	}
	st, err := tunnel.Check(*t.observed, t.spec)
	if err != nil {
		return nil, err
	}
	if !t.on && st.Device != tunnel.AsWanted && st.Device != tunnel.Differs {
		return nil, nil // no device of podroutes', none wanted
	}
	return &TunnelReport{Address: address, Spec: t.spec, Status: st}, nil
}

// WriteReport prints the routes (reconcile.Plan.WriteReport), then the
// tunnel: its device, then each peer's entries, one a line:
//
//	tunnel in place  podroutes-vx vxlan id 157 dstport 4789 local 10.240.0.20 mtu 1450  # pods' MTU 1450 at most
//	in place  neighbour 10.200.1.0 lladdr 02:8c:1d:6e:0f:3a fdb dst 10.241.0.21
func (r Report) WriteReport(w io.Writer) error {
	if err := r.Plan.WriteReport(w); err != nil || r.Tunnel == nil {
		return err
	}
	var b strings.Builder
	t := r.Tunnel
	switch {
	case t.Waiting:
		fmt.Fprintf(&b, "tunnel waiting  %s  # %s\n", tunnel.Name, t.waitingWhy())
	case !t.wanted() && t.Status.Device == tunnel.Absent:
		fmt.Fprintf(&b, "tunnel absent  %s  # no peer goes through it, none wanted\n", tunnel.Name)
	case !t.wanted():
		fmt.Fprintf(&b, "tunnel stale  %s  # no peer goes through it\n", tunnel.Name)
	default:
		fmt.Fprintf(&b, "tunnel %s  %s vxlan id %d dstport %d local %s mtu %d  # pods' MTU %d at most%s\n",
			t.Status.Device, tunnel.Name, tunnel.VNI, tunnel.Port, t.Spec.Local, t.Spec.MTU, t.Spec.MTU, differs(t.Status.Differs))
	}
	for _, p := range t.Status.Peers {
		state, why := "in place", ""
		switch {
		case !p.Neighbour && !p.FDB:
			state = "missing"
		case !p.Neighbour:
			state, why = "missing", "  # neighbour entry missing"
		case !p.FDB:
			state, why = "missing", "  # fdb entry missing"
		}
		fmt.Fprintf(&b, "%s  neighbour %s lladdr %s fdb dst %s%s\n", state, p.Inner, tunnel.MAC(p.Node), p.Node, why)
	}
	for _, c := range t.Status.Stale {
		fmt.Fprintf(&b, "stale  %s\n", c)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wanted: the config sends some peer through the tunnel.
func (t *TunnelReport) wanted() bool {
	return len(t.Spec.Peers) > 0 || t.Status.Device == tunnel.Foreign
}

func (t *TunnelReport) waitingWhy() string {
	if t.Address.IsValid() {
		return fmt.Sprintf("this host's node address %s is on no up link: off-link peers wait for it", t.Address)
	}
	return "this host has no address on an up link yet: off-link peers wait for one"
}

func differs(why []string) string {
	if len(why) == 0 {
		return ""
	}
	return "; " + strings.Join(why, "; ")
}

// WriteJSON prints the routes as reconcile.Plan.WriteJSON does, then, when
// there is a tunnel to speak of, one line for it:
//
//	{"tunnel":{"device":"podroutes-vx","state":"in place","differs":[],"vni":157,"port":4789,
//	 "local":"10.240.0.20","mtu":1450,"peers":[{"inner":"10.200.1.0","node":"10.241.0.21",
//	 "mac":"02:..","neighbour":true,"fdb":true}],"stale":[]}}
//
// docs/check.md documents the schema.
func (r Report) WriteJSON(w io.Writer) error {
	if err := r.Plan.WriteJSON(w); err != nil || r.Tunnel == nil {
		return err
	}
	t := r.Tunnel
	out := jsonTunnel{Device: tunnel.Name, State: t.Status.Device.String(), Differs: append([]string{}, t.Status.Differs...),
		VNI: tunnel.VNI, Port: tunnel.Port, MTU: t.Spec.MTU, Peers: []jsonPeer{}, Stale: []string{}}
	switch {
	case t.Waiting:
		out.State = "waiting"
		out.Differs = append(out.Differs, t.waitingWhy())
	case !t.wanted() && t.Status.Device != tunnel.Absent:
		// Stale only if there is a device: with none and none wanted,
		// the state is "absent" and in place.
		out.State = "stale"
	}
	if t.Spec.Local.IsValid() {
		out.Local = t.Spec.Local.String()
	}
	for _, p := range t.Status.Peers {
		out.Peers = append(out.Peers, jsonPeer{Inner: p.Inner.String(), Node: p.Node.String(), MAC: tunnel.MAC(p.Node).String(),
			Neighbour: p.Neighbour, FDB: p.FDB})
	}
	for _, c := range t.Status.Stale {
		out.Stale = append(out.Stale, c.String())
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Tunnel jsonTunnel `json:"tunnel"`
	}{out})
}

type jsonTunnel struct {
	Device  string     `json:"device"`
	State   string     `json:"state"`
	Differs []string   `json:"differs"`
	VNI     int        `json:"vni"`
	Port    int        `json:"port"`
	Local   string     `json:"local"`
	MTU     int        `json:"mtu"`
	Peers   []jsonPeer `json:"peers"`
	Stale   []string   `json:"stale"`
}

type jsonPeer struct {
	Inner     string `json:"inner"`
	Node      string `json:"node"`
	MAC       string `json:"mac"`
	Neighbour bool   `json:"neighbour"`
	FDB       bool   `json:"fdb"`
}
