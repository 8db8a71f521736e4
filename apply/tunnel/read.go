package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/internal/nldump"
)

// Device is a link as podroutes reads or wants it.
type Device struct {
	Name string
	// Index is the kernel's, of a device read.
	Index int
	// Kind is the link's type: "vxlan", "veth", ...
	Kind  string
	Alias string
	// VNI, Port, Local and Learning are a vxlan device's, set only when
	// it is created.
	VNI      int
	Port     int
	Local    netip.Addr
	Learning bool
	MAC      net.HardwareAddr
	MTU      int
	// Up is IFF_UP.
	Up bool
}

// ours: podroutes created d.
func (d *Device) ours() bool { return d.Kind == "vxlan" && d.Alias == Alias }

// Neighbour is a permanent neighbour entry on the device: Inner resolves
// to MAC.
type Neighbour struct {
	Inner netip.Addr
	MAC   net.HardwareAddr
}

// FDBEntry is a permanent forwarding entry on the device: frames to MAC go
// to the host at Dst. VNI is the entry's own, when it has one (0: the
// device's).
type FDBEntry struct {
	MAC net.HardwareAddr
	Dst netip.Addr
	VNI int
}

// Observed is the tunnel as read: the device named Name, a creation an
// apply left unfinished, and the device's permanent entries (those of
// another state are the kernel's own, and never podroutes').
type Observed struct {
	// Device is the link named Name; nil: there is none.
	Device *Device
	// Unfinished is the link named staging; nil: there is none.
	Unfinished *Device
	// Neighbours and FDB are Device's, when it is podroutes'.
	Neighbours []Neighbour
	FDB        []FDBEntry
}

// Read reads the tunnel through h: the devices by name, the entries of
// the device by its index. h must not check strictly (as
// netlink.NewHandleAt opens it): netlink's neighbour dump request names
// the link in its header, which a strict kernel refuses, so the dumps are
// of a family and netlink keeps the device's entries, parsing no other.
func Read(h *netlink.Handle) (Observed, error) {
	var o Observed
	var err error
	if o.Device, err = readDevice(h, Name); err != nil {
		return o, err
	}
	if o.Unfinished, err = readDevice(h, staging); err != nil {
		return o, err
	}
	if o.Device == nil || !o.Device.ours() {
		return o, nil
	}
	for _, family := range []int{unix.AF_INET, unix.AF_INET6, unix.AF_BRIDGE} {
		var list []netlink.Neigh
		err := nldump.Retry(func() (err error) {
			list, err = h.NeighList(o.Device.Index, family)
			return err
		})
		if err != nil {
			return o, fmt.Errorf("listing %s entries of %s: %w", kindOf(family), Name, err)
		}
		for _, n := range list {
			ip, ok := netip.AddrFromSlice(n.IP)
			if !ok || n.State&unix.NUD_PERMANENT == 0 || n.LinkIndex != o.Device.Index {
				continue
			}
			if family == unix.AF_BRIDGE {
				o.FDB = append(o.FDB, FDBEntry{MAC: n.HardwareAddr, Dst: ip.Unmap(), VNI: n.VNI})
			} else {
				o.Neighbours = append(o.Neighbours, Neighbour{Inner: ip.Unmap(), MAC: n.HardwareAddr})
			}
		}
	}
	return o, nil
}

func kindOf(family int) string {
	if family == unix.AF_BRIDGE {
		return "fdb"
	}
	return "neighbour"
}

// readDevice reads the link called name; nil if there is none.
func readDevice(h *netlink.Handle, name string) (*Device, error) {
	l, err := h.LinkByName(name)
	if errors.As(err, &netlink.LinkNotFoundError{}) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading link %s: %w", name, err)
	}
	a := l.Attrs()
	d := &Device{Name: a.Name, Index: a.Index, Kind: l.Type(), Alias: a.Alias, MAC: a.HardwareAddr,
		MTU: a.MTU, Up: a.Flags&net.FlagUp != 0}
	if vx, ok := l.(*netlink.Vxlan); ok {
		d.VNI, d.Port, d.Learning = vx.VxlanId, vx.Port, vx.Learning
		if ip, ok := netip.AddrFromSlice(vx.SrcAddr); ok {
			d.Local = ip.Unmap()
		}
	}
	return d, nil
}
