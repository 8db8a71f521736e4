package kernel

import "github.com/podroutes/podroutes/apply/tunnel"

// Tunnel reads podroutes' VXLAN device and its entries (tunnel.Read):
// apply.Tunnels.
func (k *Kernel) Tunnel() (tunnel.Observed, error) { return tunnel.Read(k.h) }

// ChangeTunnel makes changes (tunnel.Apply). A device created, replaced
// or deleted changes the links' indexes: they are read again, once,
// before a route names the device (rare: the device is made once).
func (k *Kernel) ChangeTunnel(changes []tunnel.Change) error {
	err := tunnel.Apply(k.h, changes)
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
