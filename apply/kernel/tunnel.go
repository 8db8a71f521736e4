package kernel

import (
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/tunnel"
)

// Tunnel reads podroutes' VXLAN device and its entries (tunnel.Read):
// apply.Tunnels.
func (k *Kernel) Tunnel() (tunnel.Observed, error) { return tunnel.Read(k.h) }

// ChangeTunnel makes changes (tunnel.ApplyBatch), the entries pipelined
// (entries). A device created, replaced or deleted changes the links'
// indexes: they are read again, once, before a route names the device
// (rare: the device is made once).
func (k *Kernel) ChangeTunnel(changes []tunnel.Change) error {
	err := tunnel.ApplyBatch(k.h, changes, k.entries)
	for _, c := range changes {
		if c.Op == tunnel.DeleteDevice {
			// Its nexthop objects went with it, unannounced, as with
			// any link deleted (observeLink).
			k.nh.dropOn(int32(c.Device.Index))
		}
	}
	for _, c := range changes {
		if c.Op == tunnel.CreateDevice || c.Op == tunnel.DeleteDevice {
			k.links, k.fresh = nil, false
			if _, rerr := k.refreshLinks(); err == nil {
				err = rerr
			}
			break
		}
	}
	return err
}

// entries sets (adds or replaces, as `ip neigh replace` and `bridge fdb
// replace`) or deletes neighbour and FDB entries, pipelined: tunnel.Batch.
// The messages are netlink.Handle's NeighSet and NeighDel's, of the
// fields tunnel sets.
func (k *Kernel) entries(set bool, ns []netlink.Neigh) []error {
	typ, flags := uint16(unix.RTM_DELNEIGH), uint16(0)
	if set {
		typ, flags = unix.RTM_NEWNEIGH, unix.NLM_F_CREATE|unix.NLM_F_REPLACE
	}
	bt := k.c.batch()
	for _, n := range ns {
		var hdr [sizeofNdmsg]byte // family, 3 bytes of padding, ifindex, state, flags, type
		hdr[0] = byte(n.Family)
		native.PutUint32(hdr[4:], uint32(n.LinkIndex))
		native.PutUint16(hdr[8:], uint16(n.State))
		hdr[10], hdr[11] = byte(n.Flags), byte(n.Type)
		bt.begin(typ, flags, hdr[:]...)
		ip := n.IP.To4()
		if ip == nil {
			ip = n.IP.To16()
		}
		bt.attr(unix.NDA_DST, ip)
		if n.HardwareAddr != nil {
			bt.attr(unix.NDA_LLADDR, n.HardwareAddr)
		}
		if n.VNI != 0 {
			bt.u32(unix.NDA_VNI, uint32(n.VNI))
		}
	}
	return k.c.exec(bt)
}
