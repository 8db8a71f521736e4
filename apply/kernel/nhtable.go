package kernel

import (
	"cmp"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"
)

// nexthop is one nexthop object of the kernel.
type nexthop struct {
	id   uint32
	key  nhKey
	ours bool // protocol podroutes
	gone bool // being dropped
	// refs counts the routes (and groups) that use it.
	refs int32
}

// nhKey is what a gateway nexthop is: two with the same key are the same.
// It holds the gateway as bytes, without pointers, so that a table of tens
// of thousands stays small and costs the garbage collector nothing.
type nhKey struct {
	gw     [16]byte // netip.Addr.As16
	family uint8    // of the gateway; 0 for none
	onlink bool
	oif    int32
}

func newKey(gw netip.Addr, oif int, onlink bool) nhKey {
	k := nhKey{onlink: onlink, oif: int32(oif)}
	if gw.IsValid() {
		k.gw, k.family = gw.As16(), family(gw)
	}
	return k
}

// addr is the gateway; the zero Addr for none.
func (k nhKey) addr() netip.Addr {
	switch k.family {
	case unix.AF_INET:
		return netip.AddrFrom16(k.gw).Unmap()
	case unix.AF_INET6:
		return netip.AddrFrom16(k.gw)
	}
	return netip.Addr{}
}

// nexthops is the kernel's nexthop objects, as of the last dump, and how
// many routes (or groups) use each.
type nexthops struct {
	loaded bool
	// off says why the kernel has no nexthop objects for us (nil: it has).
	off error
	// list is sorted by id: the kernel dumps them in that order, and new
	// ones get ids above all others.
	list []nexthop
	// ours indexes podroutes' nexthops by key; nil until the first write
	// needs it (a re-apply with nothing to do never does).
	ours  map[nhKey]uint32
	maxID uint32
	// grouped are the ids the groups of a dump use, counted at its end.
	grouped []uint32
	// recount: a replace may have left a nexthop unused, uncounted.
	recount bool
	// onLink counts the nexthops on each link, so that a link going down
	// with none (a pod's veth, dozens a minute) costs no pass over list.
	onLink map[int32]int32
}

// reset empties the table for a dump, keeping the list's memory.
func (t *nexthops) reset() {
	*t = nexthops{loaded: true, list: t.list[:0], onLink: map[int32]int32{}}
}

// ourID is the id of podroutes' nexthop with key k, if there is one.
func (t *nexthops) ourID(k nhKey) (uint32, bool) {
	if t.ours == nil {
		t.ours = make(map[nhKey]uint32, len(t.list))
		for _, n := range t.list {
			t.index(n)
		}
	}
	id, ok := t.ours[k]
	return id, ok
}

func (t *nexthops) index(n nexthop) {
	if t.ours != nil && n.ours && n.key.family != 0 {
		t.ours[n.key] = n.id
	}
}

func (t *nexthops) add(n nexthop) {
	t.count(n.key.oif, 1)
	if n.id > t.maxID || len(t.list) == 0 {
		// A dump's order, and a new nexthop's id: past the end.
		t.list = append(t.list, n)
		t.maxID = n.id
		t.index(n)
		return
	}
	i, found := t.search(n.id)
	if found {
		t.count(t.list[i].key.oif, -1)
		t.list[i] = n
	} else {
		t.list = slices.Insert(t.list, i, n)
	}
	t.maxID = max(t.maxID, n.id)
	t.index(n)
}

func (t *nexthops) search(id uint32) (int, bool) {
	return slices.BinarySearchFunc(t.list, id, func(n nexthop, id uint32) int { return cmp.Compare(n.id, id) })
}

// find returns the nexthop id, or nil; the pointer is good until the next
// add or drop.
func (t *nexthops) find(id uint32) *nexthop {
	if i, found := t.search(id); found && !t.list[i].gone {
		return &t.list[i]
	}
	return nil
}

// use adds delta to the users of the nexthop id, if there is one.
func (t *nexthops) use(id uint32, delta int32) {
	if n := t.find(id); n != nil {
		n.refs += delta
	}
}

// drop forgets the nexthops ids.
func (t *nexthops) drop(ids []uint32) {
	if len(ids) == 0 {
		return
	}
	for _, id := range ids {
		if n := t.find(id); n != nil {
			if t.ours != nil && t.ours[n.key] == id {
				delete(t.ours, n.key)
			}
			n.gone = true
			t.count(n.key.oif, -1)
		}
	}
	t.list = slices.DeleteFunc(t.list, func(n nexthop) bool { return n.gone })
}

// countGroups counts the users the dump's groups are.
func (t *nexthops) countGroups() {
	for _, id := range t.grouped {
		t.use(id, 1)
	}
	t.grouped = nil
}

// dropOn forgets the nexthops on the link oif (it went down or away).
func (t *nexthops) dropOn(oif int32) {
	if t.onLink[oif] == 0 {
		return
	}
	var ids []uint32
	for _, n := range t.list {
		if n.key.oif == oif {
			ids = append(ids, n.id)
		}
	}
	t.drop(ids)
}

// count adds delta to the nexthops on the link oif.
func (t *nexthops) count(oif int32, delta int32) {
	if t.onLink == nil {
		t.onLink = map[int32]int32{}
	}
	if t.onLink[oif] += delta; t.onLink[oif] == 0 {
		delete(t.onLink, oif)
	}
}
