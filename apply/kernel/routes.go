package kernel

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/podroutes/podroutes/internal/route"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
)

var (
	_ reconcile.Kernel  = (*Kernel)(nil)
	_ reconcile.Batcher = (*Kernel)(nil)
)

// Routes dumps the main table (IPv4 and IPv6), keeping from each route only
// what reconcile compares. A route through a nexthop object gets its
// gateway, device and onlink flag from the object.
func (k *Kernel) Routes(ctx context.Context) ([]reconcile.Route, error) {
	if !k.fresh {
		if _, err := k.refreshLinks(); err != nil {
			return nil, err
		}
		k.links = nil
	}
	k.fresh = false
	var rs []reconcile.Route
	err := dump(func() error {
		rs = rs[:0]
		return k.scan(func(r reconcile.Route) error {
			if rs == nil {
				// Most routes of a table podroutes filled use a nexthop.
				rs = make([]reconcile.Route, 0, len(k.nh.list)+16)
			}
			rs = append(rs, r)
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	return rs, nil
}

// load dumps the nexthop objects and counts the routes that use each.
func (k *Kernel) load() error {
	return dump(func() error { return k.scan(nil) })
}

// scan dumps the nexthop objects, then every route of every table: it
// counts the users of each nexthop, and passes the main table's routes to
// keep, if not nil.
func (k *Kernel) scan(keep func(reconcile.Route) error) error {
	if err := k.loadNexthops(); err != nil {
		return err
	}
	return k.c.dump(unix.RTM_GETROUTE, make([]byte, sizeofRtmsg), func(p []byte) error {
		r, main, ok := k.parseRoute(p)
		if !ok || !main || keep == nil {
			return nil
		}
		return keep(r)
	})
}

// parseRoute reads an RTM_NEWROUTE; ok is false for a route podroutes has
// no use for (not IP), main tells the main table's.
func (k *Kernel) parseRoute(p []byte) (r reconcile.Route, main, ok bool) {
	if len(p) < sizeofRtmsg || (p[0] != unix.AF_INET && p[0] != unix.AF_INET6) {
		return r, false, false
	}
	dst := netip.IPv4Unspecified()
	if p[0] == unix.AF_INET6 {
		dst = netip.IPv6Unspecified()
	}
	src := dst
	table, oif := uint32(p[4]), 0
	r.Tos, r.Protocol, r.Scope, r.Type = p[3], route.Protocol(p[5]), p[6], p[7]
	if r.Type == unix.RTN_UNICAST {
		r.Type = 0 // the zero value is unicast, as wanted routes are
	}
	r.OnLink = native.Uint32(p[8:])&unix.RTNH_F_ONLINK != 0
	attrs(p[sizeofRtmsg:], func(typ uint16, v []byte) bool {
		switch typ {
		case unix.RTA_DST:
			dst, ok = ipAttr(v)
		case unix.RTA_SRC:
			src, _ = ipAttr(v)
		case unix.RTA_GATEWAY:
			r.Gw, _ = ipAttr(v)
		case unix.RTA_OIF:
			oif = int(u32Attr(v))
		case unix.RTA_PRIORITY:
			r.Metric = u32Attr(v)
		case unix.RTA_TABLE:
			table = u32Attr(v)
		case rtaNHID:
			r.NH = u32Attr(v)
		case unix.RTA_MULTIPATH:
			r.Hops = k.parseHops(v)
		}
		return true
	})
	if n := k.nh.find(r.NH); r.NH != 0 && n != nil {
		n.refs++
		r.Gw, oif, r.OnLink = n.key.addr(), int(n.key.oif), n.key.onlink
	}
	r.Dst = netip.PrefixFrom(dst, int(p[1]))
	if p[2] > 0 {
		r.Src = netip.PrefixFrom(src, int(p[2]))
	}
	r.Dev = k.name[oif]
	return r, table == unix.RT_TABLE_MAIN, r.Dst.IsValid()
}

// parseHops reads RTA_MULTIPATH: struct rtnexthop (length, flags, hops,
// ifindex) each followed by its attributes.
func (k *Kernel) parseHops(v []byte) []reconcile.Hop {
	var hops []reconcile.Hop
	for len(v) >= unix.SizeofRtNexthop {
		n := int(native.Uint16(v))
		if n < unix.SizeofRtNexthop || n > len(v) {
			break
		}
		h := reconcile.Hop{Weight: int(v[3]) + 1, Dev: k.name[int(int32(native.Uint32(v[4:])))]}
		attrs(v[unix.SizeofRtNexthop:n], func(typ uint16, a []byte) bool {
			if typ == unix.RTA_GATEWAY {
				h.Gw, _ = ipAttr(a)
			}
			return true
		})
		hops = append(hops, h)
		v = v[min(len(v), (n+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1)):]
	}
	return hops
}
