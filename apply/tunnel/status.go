package tunnel

import (
	"bytes"
	"errors"
	"net/netip"
)

// DeviceState is what the link named Name is, against a Spec.
type DeviceState uint8

const (
	// Absent: there is no link named Name.
	Absent DeviceState = iota
	// AsWanted: podroutes' device, as the Spec wants it.
	AsWanted
	// Differs: podroutes' device, other than wanted (Status.Differs
	// says how), or there when no device is wanted.
	Differs
	// Foreign: a link of that name that podroutes did not create.
	Foreign
)

func (s DeviceState) String() string {
	return [...]string{"absent", "in place", "differs", "foreign"}[s]
}

// Status is the tunnel's verdict for check.
type Status struct {
	Device DeviceState
	// Differs says how the device differs from the Spec: "mtu 1400, want
	// 1450", "down", "no peer goes through the tunnel".
	Differs []string
	// Peers is each peer of the Spec, in its order, with its entries.
	Peers []PeerStatus
	// Stale is the entries on the device that the Spec does not want.
	Stale []Change
}

// PeerStatus says whether a peer's entries are on podroutes' device.
type PeerStatus struct {
	Peer
	Neighbour bool
	FDB       bool
}

// InPlace says whether the tunnel is as the Spec wants it: no device of
// podroutes' when none is wanted (a foreign one is no concern then), or
// podroutes' device as wanted, every peer's entries on it and no other.
func (s Status) InPlace() bool {
	if s.Device == Differs || len(s.Stale) > 0 {
		return false
	}
	for _, p := range s.Peers {
		if !p.Neighbour || !p.FDB {
			return false
		}
	}
	return true
}

// Check is the verdict on o, read, against s: what Diff would change,
// told per peer. It fails as Diff does when s cannot be built; a foreign
// device is a verdict (Foreign), not a failure.
func Check(o Observed, s Spec) (Status, error) {
	changes, err := Diff(o, s)
	if fe := (*ForeignError)(nil); errors.As(err, &fe) {
		err = nil
	}
	if err != nil {
		return Status{}, err
	}
	var st Status
	ours := o.Device != nil && o.Device.ours()
	switch {
	case o.Device == nil:
		st.Device = Absent
	case !ours:
		st.Device = Foreign
	default:
		st.Device = AsWanted
	}
	for _, c := range changes {
		switch c.Op {
		case DeleteDevice, SetMAC, SetMTU, SetUp:
			if c.Device.Name == Name {
				st.Device = Differs
				st.Differs = append(st.Differs, c.Why)
			}
		case DeleteNeighbour, DeleteFDB:
			st.Stale = append(st.Stale, c)
		}
	}
	neigh := map[netip.Addr][]byte{}
	fdb := map[netip.Addr]bool{} // destinations with an entry of their MAC
	for _, n := range o.Neighbours {
		neigh[n.Inner] = n.MAC
	}
	for _, f := range o.FDB {
		if (f.VNI == 0 || f.VNI == VNI) && bytes.Equal(f.MAC, MAC(f.Dst)) {
			fdb[f.Dst] = true
		}
	}
	for _, p := range s.Peers {
		mac := MAC(p.Node)
		st.Peers = append(st.Peers, PeerStatus{Peer: p,
			Neighbour: ours && bytes.Equal(neigh[p.Inner], mac),
			FDB:       ours && fdb[p.Node],
		})
	}
	return st, nil
}
