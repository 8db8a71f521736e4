package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Apply makes changes, Diff's, through h, in order. It stops at the first
// that fails and says which: those before it are made, and reading and
// diffing again plans what is left. A change already made (an entry there
// already, or gone already) is no failure, so Apply may run again.
func Apply(h *netlink.Handle, changes []Change) error { return ApplyBatch(h, changes, nil) }

// Batch writes entries of the device many to a request, as the kernel
// takes them in order (kernel.Kernel pipelines them): it sets (adds or
// replaces) them all, or deletes them all, and returns each one's error,
// nil for one made. A request per entry, as netlink.Handle makes them,
// costs a first apply with thousands of peers through the tunnel most of
// its time.
type Batch func(set bool, entries []netlink.Neigh) []error

// ApplyBatch is Apply, with the entries written through batch (nil: one
// by one through h): each run of additions at once, then each of
// deletions, so a deletion still follows every addition before it. Where
// an entry of a run fails, the others of its run may be made too.
func ApplyBatch(h *netlink.Handle, changes []Change, batch Batch) error {
	a := applier{h: h}
	for i := 0; i < len(changes); {
		c := changes[i]
		if batch == nil || !c.entry() {
			if err := a.apply(c); err != nil {
				return fmt.Errorf("%s: %w", c.String(), err)
			}
			i++
			continue
		}
		j := i + 1
		for j < len(changes) && changes[j].entry() && changes[j].sets() == c.sets() {
			j++
		}
		if err := a.applyRun(changes[i:j], batch); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// entry: c adds or deletes a neighbour or FDB entry.
func (c Change) entry() bool { return c.Op >= AddFDB && c.Op <= DeleteFDB }

// sets: c is an entry's addition (a set: add or replace).
func (c Change) sets() bool { return c.Op == AddFDB || c.Op == AddNeighbour }

// applyRun writes run, entry changes that all set or all delete, through
// batch, and names the first that failed.
func (a *applier) applyRun(run []Change, batch Batch) error {
	index, err := a.device()
	if err != nil {
		return fmt.Errorf("%s: %w", run[0].String(), err)
	}
	ns := make([]netlink.Neigh, len(run))
	for i, c := range run {
		ns[i] = *c.neigh(index)
	}
	for i, err := range batch(run[0].sets(), ns) {
		if err != nil && !(!run[i].sets() && errors.Is(err, unix.ENOENT)) {
			return fmt.Errorf("%s: %w", run[i].String(), err)
		}
	}
	return nil
}

// Remove deletes podroutes' device, and with it its entries and the routes
// through it, and what an interrupted creation left; it returns what it
// did. A foreign link named Name stays as it is, reported as a
// *ForeignError.
func Remove(h *netlink.Handle) ([]Change, error) {
	o, err := Read(h)
	if err != nil {
		return nil, err
	}
	changes, err := Diff(o, Spec{})
	if err == nil {
		err = Apply(h, changes)
	}
	if err == nil && o.Device != nil && !o.Device.ours() {
		err = &ForeignError{Device: *o.Device}
	}
	return changes, err
}

// applier makes changes, knowing the device's index once it has read it.
type applier struct {
	h     *netlink.Handle
	index int
}

func (a *applier) apply(c Change) error {
	link := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: c.Device.Name, Index: c.Device.Index}}
	switch c.Op {
	case DeleteDevice:
		a.index = 0
		if err := a.h.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
			return err
		}
		return nil
	case CreateDevice:
		return a.create(c.Device)
	case SetMAC:
		return a.h.LinkSetHardwareAddr(link, c.Device.MAC)
	case SetMTU:
		return a.h.LinkSetMTU(link, c.Device.MTU)
	case SetUp:
		return a.h.LinkSetUp(link)
	}
	index, err := a.device()
	if err != nil {
		return err
	}
	n := c.neigh(index)
	if c.sets() {
		return a.h.NeighSet(n)
	}
	if err = a.h.NeighDel(n); errors.Is(err, unix.ENOENT) {
		err = nil
	}
	return err
}

// neigh is the entry c, an entry's change, on the device of index.
func (c Change) neigh(index int) *netlink.Neigh {
	if c.Op == AddFDB || c.Op == DeleteFDB {
		return &netlink.Neigh{LinkIndex: index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
			State: netlink.NUD_PERMANENT, HardwareAddr: c.FDB.MAC, IP: c.FDB.Dst.AsSlice(), VNI: c.FDB.VNI}
	}
	return &netlink.Neigh{LinkIndex: index, Family: af(c.Neighbour.Inner),
		State: netlink.NUD_PERMANENT, HardwareAddr: c.Neighbour.MAC, IP: c.Neighbour.Inner.AsSlice()}
}

// create creates w under the staging name, marks it and renames it:
// interrupted, it leaves either no link named Name or podroutes' own.
func (a *applier) create(w Device) error {
	vx := &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: staging, MTU: w.MTU, HardwareAddr: w.MAC, TxQLen: -1},
		VxlanId:   w.VNI,
		SrcAddr:   net.IP(w.Local.AsSlice()),
		Port:      w.Port,
		Learning:  false,
		// The kernel's default for an IPv4 underlay; netlink's is none.
		UDPCSum: true,
	}
	if err := a.h.LinkAdd(vx); err != nil {
		return err
	}
	if err := a.h.LinkSetAlias(vx, Alias); err != nil {
		return fmt.Errorf("marking %s: %w", staging, err)
	}
	if err := a.h.LinkSetName(vx, w.Name); err != nil {
		return fmt.Errorf("renaming %s: %w", staging, err)
	}
	if err := a.h.LinkSetUp(vx); err != nil {
		return fmt.Errorf("setting %s up: %w", w.Name, err)
	}
	a.index = vx.Index
	return nil
}

// device is the index of podroutes' device.
func (a *applier) device() (int, error) {
	if a.index != 0 {
		return a.index, nil
	}
	d, err := readDevice(a.h, Name)
	switch {
	case err != nil:
		return 0, err
	case d == nil:
		return 0, fmt.Errorf("no link %s", Name)
	case !d.ours():
		return 0, &ForeignError{Device: *d}
	}
	a.index = d.Index
	return a.index, nil
}

// af is a's address family, for netlink.
func af(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}
