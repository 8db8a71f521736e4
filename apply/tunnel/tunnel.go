// Package tunnel is podroutes' VXLAN device, for peers whose node address
// is on no link of this host: what the device and its neighbour and FDB
// entries must be (Spec), reading them (Read), the changes that make them
// so (Diff, a pure function) and writing those (Apply), their removal
// (Remove) and a verdict per peer (Check). Every host derives every other
// host's tunnel MAC and inner next hop from the inventory alone (MAC,
// Gateway), so nothing is distributed. Routes through the device are the
// caller's: `DST via Gateway(DST) dev podroutes-vx onlink`, written after
// Apply (a device deleted or created again takes its routes with it).
package tunnel

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"

	"github.com/podroutes/podroutes/internal/diag"
)

const (
	// Name is the device podroutes creates and owns.
	Name = "podroutes-vx"
	// VNI is the VXLAN network identifier of every host's device.
	VNI = 157
	// Port is the UDP port of the underlay (IANA's VXLAN port): the
	// firewall must let it through between the nodes.
	Port = 4789
	// Alias is the device's ifalias, podroutes' mark of ownership: a link
	// named Name without it, or not a vxlan device, is foreign.
	Alias = "podroutes"
	// staging is the name a new device is created under, marked and then
	// renamed to Name: the kernel takes no alias in the message that
	// creates a link, and a device named Name left without its mark by an
	// interrupted apply would be foreign forever. A vxlan device left
	// under this name is an unfinished creation, deleted by the next one.
	staging = "podroutes-vxnew"
)

// macDomain keeps the MACs derived from node addresses apart from any
// other use of SHA-256 over an address. Changing it changes every host's
// tunnel MAC: hosts of one cluster must agree on it.
const macDomain = "podroutes vxlan mac v1\x00"

// MAC is the tunnel MAC of the host whose node address is node: locally
// administered, unicast (0x02), then the first five bytes of SHA-256 over
// macDomain and the address as 16 bytes (IPv4 mapped: one rule for both
// families). Every host derives every other host's from its node address.
func MAC(node netip.Addr) net.HardwareAddr {
	a := node.As16()
	sum := sha256.Sum256(append([]byte(macDomain), a[:]...))
	return net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]}
}

// Overhead is what VXLAN adds to a packet over an underlay of underlay's
// family: the outer IP header (20 bytes, IPv6 40), UDP (8), VXLAN (8) and
// the inner Ethernet header (14).
func Overhead(underlay netip.Addr) int {
	if underlay.Unmap().Is4() {
		return 50
	}
	return 70
}

// MTU is the device's MTU over an underlay link of linkMTU: the largest
// inner packet whose encapsulation still fits. The pods' interfaces on a
// host with peers through the tunnel need it too (or less).
func MTU(underlay netip.Addr, linkMTU int) int {
	return linkMTU - Overhead(underlay)
}

// Gateway is the inner next hop of pod subnet dst through the tunnel: its
// network address. The route is `dst via Gateway(dst) dev podroutes-vx
// onlink`, and a permanent neighbour entry resolves Gateway(dst) to the
// MAC of dst's node.
func Gateway(dst netip.Prefix) netip.Addr {
	return dst.Masked().Addr()
}

// Peer is one pod subnet sent through the tunnel: its inner next hop
// (Gateway of the subnet) and the node address of the host that has it,
// both unmapped (an IPv4 address is Is4).
type Peer struct {
	Inner netip.Addr
	Node  netip.Addr
}

func (p Peer) String() string { return fmt.Sprintf("%s (node %s)", p.Inner, p.Node) }

// Spec is the tunnel wanted: a device over Local's family (this host's
// node address) with MTU, and an entry pair per peer. Without peers, no
// device is wanted.
type Spec struct {
	Local netip.Addr
	MTU   int
	Peers []Peer
}

// minMTU is the least MTU the kernel takes for an IPv4 interface; below
// minMTU6 it takes IPv6 off the interface.
const (
	minMTU  = 68
	minMTU6 = 1280
)

// device is the device s wants.
func (s Spec) device() Device {
	return Device{Name: Name, Kind: "vxlan", Alias: Alias, VNI: VNI, Port: Port, Local: s.Local,
		MAC: MAC(s.Local), MTU: s.MTU, Up: true}
}

// hw is a MAC as a map key.
type hw [6]byte

func hwOf(m net.HardwareAddr) hw {
	var k hw
	copy(k[:], m)
	return k
}

// want is the entries a Spec wants: the node of each inner next hop, the
// MAC of each node.
type want struct {
	node map[netip.Addr]netip.Addr
	mac  map[netip.Addr]hw
	// owner is the node of each MAC, this host's included.
	owner map[hw]netip.Addr
}

// want is the entries s wants, or what in s cannot be built: a peer whose
// node is of the other family than Local (a *FamilyError), or a
// contradiction.
func (s Spec) want() (want, error) {
	n := len(s.Peers)
	w := want{node: make(map[netip.Addr]netip.Addr, n), mac: make(map[netip.Addr]hw, n), owner: make(map[hw]netip.Addr, n+1)}
	if len(s.Peers) == 0 {
		return w, nil
	}
	if !s.Local.IsValid() {
		return w, fmt.Errorf("tunnel for %s has no local node address", diag.Count(len(s.Peers), "peer"))
	}
	if s.MTU < minMTU {
		return w, fmt.Errorf("tunnel MTU %d is below %d", s.MTU, minMTU)
	}
	w.owner[hwOf(MAC(s.Local))] = s.Local
	var other []Peer
	for _, p := range s.Peers {
		switch {
		case !p.Inner.IsValid() || !p.Node.IsValid():
			return w, fmt.Errorf("tunnel peer %s: missing address", p)
		case p.Node == s.Local:
			return w, fmt.Errorf("tunnel peer %s: the node is this host", p)
		case p.Node.Is4() != s.Local.Is4():
			other = append(other, p)
			continue
		case p.Inner.Is6() && s.MTU < minMTU6:
			return w, fmt.Errorf("tunnel peer %s: IPv6 needs an MTU of %d, the tunnel's is %d", p, minMTU6, s.MTU)
		}
		if n, ok := w.node[p.Inner]; ok && n != p.Node {
			return w, fmt.Errorf("tunnel next hop %s claimed by nodes %s and %s", p.Inner, n, p.Node)
		}
		w.node[p.Inner] = p.Node
		if _, ok := w.mac[p.Node]; ok {
			continue
		}
		m := hwOf(MAC(p.Node))
		if n, ok := w.owner[m]; ok {
			return w, fmt.Errorf("nodes %s and %s have the same tunnel MAC %s: one of them needs another address", n, p.Node, MAC(p.Node))
		}
		w.mac[p.Node], w.owner[m] = m, p.Node
	}
	if other != nil {
		return w, &FamilyError{Local: s.Local, Peers: other}
	}
	return w, nil
}

// FamilyError names the peers whose node address is of the other family
// than this host's: the device's underlay is one family, so they cannot be
// reached through it.
type FamilyError struct {
	Local netip.Addr
	Peers []Peer
}

func (e *FamilyError) Error() string {
	return fmt.Sprintf("tunnel peers %s: the node address is %s, this host's (%s) %s: the tunnel cannot reach them",
		diag.Some(e.Peers, 10, Peer.String), family(e.Peers[0].Node), e.Local, family(e.Local))
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// ForeignError is a link named Name (or the staging name) that podroutes
// did not create: it is never changed or deleted.
type ForeignError struct {
	Device Device
}

func (e *ForeignError) Error() string {
	what := "a " + e.Device.Kind + " device"
	if e.Device.Kind == "vxlan" {
		what = fmt.Sprintf("a vxlan device without podroutes' alias (its alias: %q)", e.Device.Alias)
	}
	return fmt.Sprintf("link %s is %s that podroutes did not create: it is left as it is; rename or delete it", e.Device.Name, what)
}
