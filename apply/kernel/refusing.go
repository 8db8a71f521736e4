package kernel

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/route"
)

// refusing holds, for a watcher, the main table's routes of the types a
// lookup is answered for with an error instead of the route (errorTypes:
// blackhole, unreachable, prohibit, throw), by type: loaded with one dump
// the first time a lookup needs the type, kept from the route events
// after, forgotten when events are lost. Without it every heal whose lookup
// found no route at all (ENETUNREACH, which a throw route also answers)
// dumped the table by type: a walk of the whole table in the kernel, 30 ms
// beside 200,000 routes, to put back one route.
type refusing map[uint8][]reconcile.Route

// observe keeps the loaded types as a route event of the main table says:
// a route added (or replacing one), or deleted.
func (c refusing) observe(r reconcile.Route, deleted, replace bool) {
	for typ, rs := range c {
		if typ == r.Type || (replace && !deleted) {
			c[typ] = slices.DeleteFunc(rs, func(old reconcile.Route) bool {
				return reconcile.SameKey(old, r) && (old.Type == r.Type || replace)
			})
		}
	}
	if rs, loaded := c[r.Type]; loaded && !deleted {
		c[r.Type] = append(rs, r)
	}
}

// refused finds, for each of keys, the route of type typ the kernel uses
// there (reconcile.PickWinners). A watcher's Kernel keeps them (refusing);
// any other dumps the table by type (the kernel filters: there are few
// such routes).
func (k *Kernel) refused(typ uint8, keys []route.Key) ([]reconcile.Route, error) {
	rs, loaded := k.refusing[typ]
	if !loaded {
		var err error
		if rs, err = k.dumpType(typ); err != nil {
			return nil, err
		}
		if k.observing {
			if k.refusing == nil {
				k.refusing = refusing{}
			}
			k.refusing[typ] = rs
		}
	}
	return reconcile.PickWinners(rs, keys), nil
}

// dumpType lists the main table's routes of type typ, with a dump the
// kernel filters by type.
func (k *Kernel) dumpType(typ uint8) ([]reconcile.Route, error) {
	hdr := make([]byte, sizeofRtmsg)
	hdr[4], hdr[7] = byte(route.MainTable), typ // rtm_table, rtm_type
	var rs []reconcile.Route
	err := k.c.dump(unix.RTM_GETROUTE, hdr, func(b []byte) error {
		if r, main, ok := k.parseRoute(b); ok && main && r.Type == typ {
			rs = append(rs, r)
		}
		return nil
	})
	return rs, err
}
