package kernel

import (
	"errors"
	"math"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// A route of podroutes goes through a nexthop object (RTM_NEWNEXTHOP, one per
// gateway, protocol podroutes) that it names by id (RTA_NH_ID): the kernel
// inserts such routes in constant time, where routes that each carry their
// own gateway cost more the more there are. podroutes owns the nexthop
// objects of its protocol and deletes those no route uses any more.

// nexthop is one nexthop object of the kernel.
type nexthop struct {
	key  nhKey
	ours bool // protocol podroutes
}

// nhKey is what a gateway nexthop is: two with the same key are the same.
type nhKey struct {
	gw     netip.Addr
	oif    int
	onlink bool
}

// nexthops is the kernel's nexthop objects, as of the last dump, and how
// many routes (or groups) use each.
type nexthops struct {
	loaded bool
	// off says why the kernel has no nexthop objects for us (nil: it has).
	off   error
	byID  map[uint32]nexthop
	ours  map[nhKey]uint32
	refs  map[uint32]int
	maxID uint32
	// recount: a replace may have left a nexthop unused, uncounted.
	recount bool
}

func (t *nexthops) reset() {
	*t = nexthops{loaded: true, byID: map[uint32]nexthop{}, ours: map[nhKey]uint32{}, refs: map[uint32]int{}}
}

func (t *nexthops) add(id uint32, n nexthop) {
	t.byID[id] = n
	t.maxID = max(t.maxID, id)
	if n.ours && n.key.gw.IsValid() {
		t.ours[n.key] = id
	}
}

func (t *nexthops) remove(id uint32) {
	if n, ok := t.byID[id]; ok && t.ours[n.key] == id {
		delete(t.ours, n.key)
	}
	delete(t.byID, id)
	delete(t.refs, id)
}

// loadNexthops dumps the nexthop objects; a kernel without them (before
// Linux 5.3) leaves the table empty and off.
func (k *Kernel) loadNexthops() error {
	k.nh.reset()
	err := k.c.dump(unix.RTM_GETNEXTHOP, make([]byte, sizeofNhmsg), k.parseNexthop)
	if errIs(err, unix.EOPNOTSUPP, unix.EINVAL) {
		k.nh.off = err
		return nil
	}
	return err
}

func (k *Kernel) parseNexthop(p []byte) error {
	if len(p) < sizeofNhmsg {
		return nil
	}
	var id uint32
	var n nexthop
	n.ours = p[2] == byte(reconcile.Owner)
	n.key.onlink = native.Uint32(p[4:])&unix.RTNH_F_ONLINK != 0
	attrs(p[sizeofNhmsg:], func(typ uint16, v []byte) bool {
		switch typ {
		case unix.NHA_ID:
			id = u32Attr(v)
		case unix.NHA_OIF:
			n.key.oif = int(u32Attr(v))
		case unix.NHA_GATEWAY:
			n.key.gw, _ = ipAttr(v)
		case unix.NHA_GROUP: // struct nexthop_grp: id, weight, reserved
			for g := v; len(g) >= 8; g = g[8:] {
				k.nh.refs[native.Uint32(g)]++
			}
		}
		return true
	})
	if id != 0 {
		k.nh.add(id, n)
	}
	return nil
}

// nexthopsFor gives each add or replace of ws the id of a nexthop object
// for its gateway, podroutes' own, creating those missing; 0 where the
// route is to carry its gateway itself: no gateway, the device is
// ambiguous, or the kernel refused the nexthop (logged, one line).
func (k *Kernel) nexthopsFor(ws []reconcile.Write, log reconcile.Logger) []uint32 {
	ids := make([]uint32, len(ws))
	var bt batch
	var created []nhKey
	for i, w := range ws {
		if w.Op == reconcile.Delete || !w.Route.Gw.IsValid() || k.nh.off != nil {
			continue
		}
		key, ok := k.keyOf(w.Route)
		if !ok {
			continue
		}
		id, ok := k.nh.ours[key]
		if !ok && k.nh.maxID < math.MaxUint32 {
			id = k.nh.maxID + 1
			k.nh.add(id, nexthop{key: key, ours: true})
			created = append(created, key)
			encodeNexthop(&bt, id, key)
		}
		ids[i] = id
	}
	var refused []uint32
	var why error
	for j, err := range k.c.exec(&bt) {
		if err != nil {
			id := k.nh.ours[created[j]]
			k.nh.remove(id)
			refused, why = append(refused, id), err
		}
	}
	if len(refused) == 0 {
		if k.nh.off != nil && slices.ContainsFunc(ws, func(w reconcile.Write) bool { return w.Op != reconcile.Delete }) {
			logf(log, "the kernel has no nexthop objects (%v): routes carry their gateway", k.nh.off)
		}
		return ids
	}
	if errors.Is(why, unix.EOPNOTSUPP) {
		k.nh.off = why
	}
	for i, id := range ids {
		if slices.Contains(refused, id) {
			ids[i] = 0
		}
	}
	logf(log, "the kernel refused nexthop objects for %d gateways (%v): their routes carry the gateway", len(refused), why)
	return ids
}

// keyOf is the nexthop r goes through: its gateway on its device, or when
// r has none, on the one up link with the longest prefix holding it (as
// of the first look after the last Routes).
func (k *Kernel) keyOf(r reconcile.Route) (nhKey, bool) {
	key := nhKey{gw: r.Gw, onlink: r.OnLink}
	if r.Dev != "" {
		i, err := k.linkIndex(r.Dev)
		key.oif = i
		return key, err == nil
	}
	if k.links == nil {
		if _, err := k.Links(); err != nil {
			k.links = []gateway.Link{}
		}
	}
	best, dev, ambiguous := -1, "", false
	for _, l := range k.links {
		for _, p := range l.Prefixes {
			if !l.Up || !p.Contains(r.Gw) || p.Bits() < best {
				continue
			}
			if p.Bits() > best {
				best, dev, ambiguous = p.Bits(), l.Name, false
			} else if l.Name != dev {
				ambiguous = true
			}
		}
	}
	key.oif = k.index[dev]
	return key, best >= 0 && !ambiguous && key.oif != 0
}

func encodeNexthop(bt *batch, id uint32, key nhKey) {
	var flags [4]byte
	if key.onlink {
		native.PutUint32(flags[:], unix.RTNH_F_ONLINK)
	}
	bt.begin(unix.RTM_NEWNEXTHOP, unix.NLM_F_CREATE|unix.NLM_F_EXCL,
		family(key.gw), 0, byte(reconcile.Owner), 0, flags[0], flags[1], flags[2], flags[3])
	bt.u32(unix.NHA_ID, id)
	bt.u32(unix.NHA_OIF, uint32(key.oif))
	bt.addr(unix.NHA_GATEWAY, key.gw)
}

func logf(log reconcile.Logger, format string, args ...any) {
	if log != nil {
		log.Infof(format, args...)
	}
}
