package tunnel

import (
	"bytes"
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// Op is what a Change does.
type Op uint8

// The ops, in the order Diff emits them: devices first (an entry needs
// its device), then the entries added, and only then the stale ones
// deleted, so that a peer whose entry changes keeps a path meanwhile.
const (
	// DeleteDevice deletes Device (by its index), and with it its
	// entries and the routes through it.
	DeleteDevice Op = iota + 1
	// CreateDevice creates Device, marked, up.
	CreateDevice
	SetMAC
	SetMTU
	SetUp
	// AddFDB adds FDB, or replaces the destination of its MAC (`bridge
	// fdb replace`: the kernel keeps one per unicast MAC, and appending
	// to one that has a destination changes nothing).
	AddFDB
	// AddNeighbour adds Neighbour, or replaces an entry of the same
	// address (of another MAC, or not permanent).
	AddNeighbour
	DeleteNeighbour
	DeleteFDB
)

// Change is one step Diff plans and Apply takes.
type Change struct {
	Op Op
	// Device is the device of the device ops: the one read (DeleteDevice,
	// Set*), the one wanted (CreateDevice).
	Device    Device
	Neighbour Neighbour
	FDB       FDBEntry
	// Why says what the device is and why it must change: "mtu 1400,
	// want 1450", "down"; empty for the entries.
	Why string
}

func (c Change) String() string {
	d := c.Device
	switch c.Op {
	case DeleteDevice:
		return fmt.Sprintf("delete vxlan device %s (%s)", d.Name, c.Why)
	case CreateDevice:
		return fmt.Sprintf("create vxlan device %s vni %d local %s mtu %d", d.Name, d.VNI, d.Local, d.MTU)
	case SetMAC:
		return fmt.Sprintf("set address %s dev %s", d.MAC, d.Name)
	case SetMTU:
		return fmt.Sprintf("set mtu %d dev %s", d.MTU, d.Name)
	case SetUp:
		return fmt.Sprintf("set up dev %s", d.Name)
	case AddNeighbour, DeleteNeighbour:
		return fmt.Sprintf("%s neighbour %s lladdr %s dev %s", verb(c.Op == AddNeighbour), c.Neighbour.Inner, c.Neighbour.MAC, Name)
	case AddFDB, DeleteFDB:
		vni := ""
		if c.FDB.VNI != 0 {
			vni = fmt.Sprintf(" vni %d", c.FDB.VNI)
		}
		return fmt.Sprintf("%s fdb %s dst %s%s dev %s", verb(c.Op == AddFDB), c.FDB.MAC, c.FDB.Dst, vni, Name)
	}
	return fmt.Sprintf("op %d", c.Op)
}

func verb(add bool) string {
	if add {
		return "add"
	}
	return "delete"
}

// Diff is the changes that take the tunnel from o to s, in order; none
// when o is s. A device of podroutes' that differs from s only in what the
// kernel sets at creation (VNI, port, local address, learning) is deleted
// and created again; its MAC, MTU and up are set in place. Permanent
// entries on it that s does not want are deleted. Without peers, s wants
// no device: podroutes' is deleted, with its entries.
//
// Diff fails when s cannot be built (a *FamilyError names the peers of
// the other family), or when s wants a device and a link of its name is
// foreign (a *ForeignError, with no change planned).
func Diff(o Observed, s Spec) ([]Change, error) {
	wanted, err := s.want()
	if err != nil {
		return nil, err
	}
	want := len(s.Peers) > 0
	var out []Change
	if u := o.Unfinished; u != nil {
		switch {
		case u.Kind == "vxlan":
			out = append(out, Change{Op: DeleteDevice, Device: *u, Why: "a creation left unfinished"})
		case want:
			return nil, &ForeignError{Device: *u}
		}
	}
	d := o.Device
	if d != nil && !d.ours() {
		if want {
			return nil, &ForeignError{Device: *d}
		}
		return out, nil
	}
	if !want {
		if d != nil {
			out = append(out, Change{Op: DeleteDevice, Device: *d, Why: "no peer goes through the tunnel"})
		}
		return out, nil
	}
	w := s.device()
	neighbours, fdb := o.Neighbours, o.FDB
	if d != nil {
		if why := recreate(*d, w); why != "" {
			out = append(out, Change{Op: DeleteDevice, Device: *d, Why: why + ": set only at creation"})
			d = nil
		}
	}
	if d == nil {
		// A new device has no entries.
		neighbours, fdb = nil, nil
		out = append(out, Change{Op: CreateDevice, Device: w, Why: "absent"})
	} else {
		out = append(out, inPlace(*d, w)...)
	}
	return append(out, entries(neighbours, fdb, wanted)...), nil
}

// recreate says how d differs from w in what only a new device can change,
// "" if in nothing.
func recreate(d, w Device) string {
	var why []string
	if d.VNI != w.VNI {
		why = append(why, fmt.Sprintf("vni %d, want %d", d.VNI, w.VNI))
	}
	if d.Port != w.Port {
		why = append(why, fmt.Sprintf("port %d, want %d", d.Port, w.Port))
	}
	if d.Local != w.Local {
		why = append(why, fmt.Sprintf("local %s, want %s", d.Local, w.Local))
	}
	if d.Learning {
		why = append(why, "learning, want nolearning")
	}
	return strings.Join(why, ", ")
}

// inPlace is the changes that make d, podroutes' device, w.
func inPlace(d, w Device) []Change {
	w.Index = d.Index
	var out []Change
	if !bytes.Equal(d.MAC, w.MAC) {
		out = append(out, Change{Op: SetMAC, Device: w, Why: fmt.Sprintf("address %s, want %s", d.MAC, w.MAC)})
	}
	if d.MTU != w.MTU {
		out = append(out, Change{Op: SetMTU, Device: w, Why: fmt.Sprintf("mtu %d, want %d", d.MTU, w.MTU)})
	}
	if !d.Up {
		out = append(out, Change{Op: SetUp, Device: w, Why: "down"})
	}
	return out
}

// entries is the changes that leave on the device the entries w, of
// those read, neighbours and fdb: additions, then deletions, each sorted.
func entries(neighbours []Neighbour, fdb []FDBEntry, w want) []Change {
	haveN := make(map[netip.Addr]hw, len(neighbours))
	for _, n := range neighbours {
		haveN[n.Inner] = hwOf(n.MAC)
	}
	haveF := make(map[hw]netip.Addr, len(fdb))
	for _, f := range fdb {
		if f.VNI == 0 || f.VNI == VNI {
			haveF[hwOf(f.MAC)] = f.Dst
		}
	}
	var addF, addN, delN, delF []Change
	for node, m := range w.mac {
		if haveF[m] != node {
			addF = append(addF, Change{Op: AddFDB, FDB: FDBEntry{MAC: net.HardwareAddr(m[:]), Dst: node}})
		}
	}
	for inner, node := range w.node {
		if m, ok := haveN[inner]; !ok || m != w.mac[node] {
			m := w.mac[node]
			addN = append(addN, Change{Op: AddNeighbour, Neighbour: Neighbour{Inner: inner, MAC: net.HardwareAddr(m[:])}})
		}
	}
	for _, n := range neighbours {
		if _, ok := w.node[n.Inner]; !ok {
			delN = append(delN, Change{Op: DeleteNeighbour, Neighbour: n})
		}
	}
	for _, f := range fdb {
		// A unicast MAC has one destination: adding a wanted one replaces
		// whatever it had.
		if n, ok := w.owner[hwOf(f.MAC)]; !ok || w.mac[n] != hwOf(f.MAC) {
			delF = append(delF, Change{Op: DeleteFDB, FDB: f})
		}
	}
	slices.SortFunc(addF, func(a, b Change) int { return a.FDB.Dst.Compare(b.FDB.Dst) })
	slices.SortFunc(addN, func(a, b Change) int { return a.Neighbour.Inner.Compare(b.Neighbour.Inner) })
	slices.SortFunc(delN, func(a, b Change) int { return a.Neighbour.Inner.Compare(b.Neighbour.Inner) })
	slices.SortFunc(delF, func(a, b Change) int {
		return cmp.Or(bytes.Compare(a.FDB.MAC, b.FDB.MAC), a.FDB.Dst.Compare(b.FDB.Dst), cmp.Compare(a.FDB.VNI, b.FDB.VNI))
	})
	return slices.Concat(addF, addN, delN, delF)
}
