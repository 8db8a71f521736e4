package kernel

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/route"
)

// A route of podroutes goes through a nexthop object (RTM_NEWNEXTHOP, one per
// gateway, protocol podroutes) that it names by id (RTA_NH_ID): the kernel
// inserts such routes in constant time, where routes that each carry their
// own gateway cost more the more there are. podroutes owns the nexthop
// objects of its protocol and deletes those no route uses any more.

// loadNexthops dumps the nexthop objects; a kernel without them (before
// Linux 5.3) leaves the table empty and off.
func (k *Kernel) loadNexthops() error {
	k.nh.reset()
	err := k.c.dump(unix.RTM_GETNEXTHOP, make([]byte, sizeofNhmsg), k.parseNexthop)
	k.nh.countGroups()
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
	var gw netip.Addr
	oif := 0
	n := nexthop{ours: p[2] == byte(route.Owner)}
	onlink := native.Uint32(p[4:])&unix.RTNH_F_ONLINK != 0
	attrs(p[sizeofNhmsg:], func(typ uint16, v []byte) bool {
		switch typ {
		case unix.NHA_ID:
			n.id = u32Attr(v)
		case unix.NHA_OIF:
			oif = int(u32Attr(v))
		case unix.NHA_GATEWAY:
			gw, _ = ipAttr(v)
		case unix.NHA_GROUP: // struct nexthop_grp: id, weight, reserved
			for g := v; len(g) >= 8; g = g[8:] {
				k.nh.grouped = append(k.nh.grouped, native.Uint32(g))
			}
		}
		return true
	})
	if n.id != 0 {
		n.key = newKey(gw, oif, onlink)
		k.nh.add(n)
	}
	return nil
}

// nexthopsFor gives each add or replace of ws the id of a nexthop object
// for its gateway, podroutes' own, creating those missing; 0 where the
// route is to carry its gateway itself: no gateway, the device is
// ambiguous, or the kernel refused the nexthop (logged, one line).
func (k *Kernel) nexthopsFor(ws []reconcile.Write, log logs.Logger) []uint32 {
	ids := make([]uint32, len(ws))
	bt := k.c.batch()
	var created []nhKey
	for i, w := range ws {
		if w.Op == reconcile.Delete || !w.Route.Gw.IsValid() || k.nh.off != nil || k.o.Inline {
			continue
		}
		key, ok := k.keyOf(w.Route)
		if !ok {
			continue
		}
		id, ok := k.nh.ourID(key)
		if !ok && k.nh.maxID < math.MaxUint32 {
			id = k.nh.maxID + 1
			k.nh.add(nexthop{id: id, key: key, ours: true})
			created = append(created, key)
			encodeNexthop(bt, id, key)
		}
		ids[i] = id
	}
	var refused []uint32
	var why error
	for j, err := range k.c.exec(bt) {
		if err != nil {
			refused, why = append(refused, k.nh.ours[created[j]]), err
		}
	}
	k.nh.drop(refused)
	if len(refused) == 0 {
		if k.nh.off != nil && slices.ContainsFunc(ws, func(w reconcile.Write) bool { return w.Op != reconcile.Delete }) {
			k.logOnce(log, "the kernel has no nexthop objects (%v): routes carry their gateway", k.nh.off)
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
	k.logOnce(log, "the kernel refused nexthop objects (%v): the routes of those gateways carry the gateway", why)
	return ids
}

// keyOf is the nexthop r goes through: its gateway on its device, or when
// r has none, on the link gateway.Via names (as of the Links just before
// the last Routes, or else the first look after).
func (k *Kernel) keyOf(r reconcile.Route) (nhKey, bool) {
	if r.Dev != "" {
		i, err := k.linkIndex(r.Dev)
		return newKey(r.Gw, i, r.OnLink), err == nil
	}
	if k.links == nil {
		if _, err := k.dumpLinks(); err != nil {
			k.links = []gateway.Link{}
		}
	}
	dev, ok := gateway.Via(k.links, r.Gw)
	oif := k.index[dev]
	return newKey(r.Gw, oif, r.OnLink), ok && oif != 0
}

func encodeNexthop(bt *batch, id uint32, key nhKey) {
	var flags [4]byte
	if key.onlink {
		native.PutUint32(flags[:], unix.RTNH_F_ONLINK)
	}
	bt.begin(unix.RTM_NEWNEXTHOP, unix.NLM_F_CREATE|unix.NLM_F_EXCL,
		key.family, 0, byte(route.Owner), 0, flags[0], flags[1], flags[2], flags[3])
	bt.u32(unix.NHA_ID, id)
	bt.u32(unix.NHA_OIF, uint32(key.oif))
	bt.addr(unix.NHA_GATEWAY, key.addr())
}

// logOnce logs a line the first time this Kernel has it to say: a watch
// retrying every few seconds must not repeat why its routes carry their
// gateway.
func (k *Kernel) logOnce(log logs.Logger, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if log == nil || k.said[line] {
		return
	}
	if k.said == nil {
		k.said = map[string]bool{}
	}
	k.said[line] = true
	log.Infof("%s", line)
}

func logf(log logs.Logger, format string, args ...any) {
	if log != nil {
		log.Infof(format, args...)
	}
}
