package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/route"
)

var (
	_ reconcile.Kernel       = (*Kernel)(nil)
	_ reconcile.Batcher      = (*Kernel)(nil)
	_ reconcile.OtherWinners = (*Kernel)(nil)
)

// Routes lists podroutes' own routes of the main table (IPv4 and IPv6):
// what podroutes owns, never the rest of the table. It asks the kernel for
// them only, a dump filtered by protocol and table (NETLINK_GET_STRICT_CHK),
// so that its cost follows podroutes' routes, not the table's size; a
// kernel that refuses strict checking gets a dump of the whole table
// (logged once), from which they are picked. A route through a nexthop
// object gets its gateway, device and onlink flag from the object.
func (k *Kernel) Routes(ctx context.Context) ([]reconcile.Route, error) {
	if !k.fresh && !(k.observing && k.links != nil) {
		if _, err := k.refreshLinks(); err != nil {
			return nil, err
		}
		k.links = nil
	}
	k.fresh = false
	if !k.strict() {
		k.fullDumpOnce()
	}
	var rs []reconcile.Route
	err := dump(func() error {
		rs = nil
		return k.reload(nil, func(r reconcile.Route) error {
			if r.Protocol == route.Owner {
				if rs == nil { // the nexthops are loaded: most of ours use one
					rs = make([]reconcile.Route, 0, len(k.nh.list)+16)
				}
				rs = append(rs, r)
			}
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	return rs, nil
}

// Winners looks each of keys up in the kernel's routing (a fib match, as
// `ip route get fibmatch` does, pipelined) and returns the routes found
// that have exactly a key of keys (in the main table), whoever owns them.
// A lookup that finds nothing, or a route to a wider or narrower prefix,
// finds none. Without strict checking it reads the whole table instead
// and picks, for each of keys, the route the kernel uses
// (winnersFromDump): the same routes.
func (k *Kernel) Winners(ctx context.Context, keys []route.Key) ([]reconcile.Route, error) {
	return k.winners(ctx, keys, false)
}

// OtherWinners is Winners less podroutes' own routes, which it does not
// read: Have has them from Routes, and parsing 5000 of them again was a
// third of the lookup's cost (reconcile.OtherWinners).
func (k *Kernel) OtherWinners(ctx context.Context, keys []route.Key) ([]reconcile.Route, error) {
	return k.winners(ctx, keys, true)
}

// winners is Winners, less podroutes' own routes when others.
func (k *Kernel) winners(ctx context.Context, keys []route.Key, others bool) ([]reconcile.Route, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var held []reconcile.Route
	err := dump(func() error {
		var err error
		if !k.strict() {
			held, err = k.winnersFromDump(ctx, keys)
			if others {
				held = slices.DeleteFunc(held, func(r reconcile.Route) bool { return r.Protocol == route.Owner })
			}
		} else {
			held, err = k.lookUp(keys, others)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("looking up the routes to %s: %w", diag.Count(len(keys), "destination"), err)
	}
	return held, nil
}

// lookUp is Winners by fib match; with others, a route of podroutes'
// found is left unread.
func (k *Kernel) lookUp(keys []route.Key, others bool) ([]reconcile.Route, error) {
	var fibMatch [4]byte // rtm_flags
	native.PutUint32(fibMatch[:], unix.RTM_F_FIB_MATCH)
	bt := k.c.batch()
	for _, key := range keys {
		d := key.Dst
		bits := byte(32)
		if d.Addr().Is6() {
			bits = 128
		}
		// No table: the lookup goes through the routing rules, as the
		// traffic does, and the route found must be of the key's table.
		bt.begin(unix.RTM_GETROUTE, 0, family(d.Addr()), bits, 0, 0, 0, 0, 0, 0, fibMatch[0], fibMatch[1], fibMatch[2], fibMatch[3])
		bt.addr(unix.RTA_DST, d.Addr())
	}
	var held []reconcile.Route
	var refused map[uint8][]route.Key // by the route type the error stands for
	err := k.c.query(bt, func(i int, h header, p []byte) {
		if h.typ != unix.RTM_NEWROUTE {
			// The kernel answers a match of a route that drops the traffic
			// with that route's error, not the route: look those up by
			// type. ENETUNREACH is also no route at all, the usual answer.
			if typ, ok := errorTypes[errnoOf(ackError(h, p))]; ok {
				if refused == nil {
					refused = map[uint8][]route.Key{}
				}
				refused[typ] = append(refused[typ], keys[i])
			}
			return
		}
		if others && len(p) >= sizeofRtmsg && route.Protocol(p[rtmProtocol]) == route.Owner {
			return
		}
		r, main, ok := k.parseRoute(p)
		if ok && main && r.Key() == keys[i] {
			held = append(held, r)
		}
	})
	if err != nil {
		return nil, err
	}
	for typ, at := range refused {
		found, err := k.refused(typ, at)
		if err != nil {
			return nil, err
		}
		held = append(held, found...)
	}
	return held, nil
}

// errorTypes are the route types whose match the kernel answers with an
// error (fib_props): blackhole EINVAL, unreachable EHOSTUNREACH, prohibit
// EACCES, throw ENETUNREACH (as no route at all is).
var errorTypes = map[unix.Errno]uint8{
	unix.EINVAL: unix.RTN_BLACKHOLE, unix.EHOSTUNREACH: unix.RTN_UNREACHABLE,
	unix.EACCES: unix.RTN_PROHIBIT, unix.ENETUNREACH: unix.RTN_THROW,
}

func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	errors.As(err, &errno)
	return errno
}

// winnersFromDump is Winners for a kernel without strict checking: the
// whole main table, and for each of keys the route the kernel uses (of the
// routes for all its traffic, the one with the lowest metric).
func (k *Kernel) winnersFromDump(ctx context.Context, keys []route.Key) ([]reconcile.Route, error) {
	wanted := make(map[route.Key]bool, len(keys))
	for _, key := range keys {
		wanted[key] = true
	}
	var found []reconcile.Route
	err := k.reload(nil, func(r reconcile.Route) error {
		if wanted[r.Key()] {
			found = append(found, r)
		}
		return ctx.Err()
	})
	return reconcile.PickWinners(found, keys), err
}

// fullDumpOnce logs, once, that this kernel makes podroutes read the
// whole table.
func (k *Kernel) fullDumpOnce() {
	why := "asked to"
	if k.c.strictErr != nil {
		why = fmt.Sprintf("the kernel refuses strict netlink checking: %v", k.c.strictErr)
	}
	k.logOnce(k.o.Log, "reading the whole routing table to find podroutes' routes (%s)", why)
}

// load dumps the nexthop objects and counts podroutes' routes that use each.
func (k *Kernel) load() error {
	return dump(func() error { return k.reload(nil, func(reconcile.Route) error { return nil }) })
}

// reload dumps the nexthop objects, then the main table's routes of
// podroutes and of the protocols also, passing each to keep: a dump the
// kernel filters for each protocol, or the whole table on a kernel
// without strict checking. Podroutes' own routes are always read, whoever
// asks: loading the nexthop objects counts their users from zero again,
// and only those routes count them (Finish deletes a nexthop of podroutes'
// no route uses, and with it any route that does).
func (k *Kernel) reload(also []route.Protocol, keep func(reconcile.Route) error) error {
	if err := k.loadNexthops(); err != nil {
		return err
	}
	if !k.strict() {
		return k.scanAll(keep)
	}
	if err := k.dumpProtocol(route.Owner, keep); err != nil {
		return err
	}
	for i, p := range also {
		if p != route.Owner && !slices.Contains(also[:i], p) {
			if err := k.dumpProtocol(p, keep); err != nil {
				return err
			}
		}
	}
	return nil
}

// dumpProtocol dumps the main table's routes of protocol p, filtered by the
// kernel, passing each to keep.
func (k *Kernel) dumpProtocol(p route.Protocol, keep func(reconcile.Route) error) error {
	hdr := make([]byte, sizeofRtmsg)
	hdr[4], hdr[5] = byte(route.MainTable), byte(p) // rtm_table, rtm_protocol
	return k.c.dump(unix.RTM_GETROUTE, hdr, func(b []byte) error {
		r, main, ok := k.parseRoute(b)
		if !ok || !main || r.Protocol != p {
			return nil // a kernel that filters by table only still gives the right answer
		}
		k.counted(r)
		return keep(r)
	})
}

// scanAll dumps every route of the main table, unfiltered (kernels without
// strict checking), passing each to keep.
func (k *Kernel) scanAll(keep func(reconcile.Route) error) error {
	return k.c.dump(unix.RTM_GETROUTE, make([]byte, sizeofRtmsg), func(b []byte) error {
		r, main, ok := k.parseRoute(b)
		if !ok || !main {
			return nil
		}
		k.counted(r)
		return keep(r)
	})
}

// counted counts r as a user of its nexthop object if r is podroutes':
// the users that keep one of podroutes' nexthops are podroutes' routes (a
// route of another owner through it would go with it; see Finish).
func (k *Kernel) counted(r reconcile.Route) {
	if r.Protocol == route.Owner && r.NH != 0 {
		k.nh.use(r.NH, 1)
	}
}

// parseRoute reads an RTM_NEWROUTE of a dump; ok is false for a route
// podroutes has no use for (not IP), main tells the main table's.
func (k *Kernel) parseRoute(p []byte) (r reconcile.Route, main, ok bool) {
	raw, ok := parseRouteMsg(p)
	return k.resolve(raw), raw.table == route.MainTable, ok
}

// rawRoute is a route message read without k: the route, its links by
// index (the output link, and each nexthop's of a multipath route) and its
// table.
type rawRoute struct {
	r     reconcile.Route
	oif   int
	hops  []int
	table uint32
}

// resolve names the links of raw, and gives a route through one of the
// nexthop objects k knows its gateway, device and onlink flag.
func (k *Kernel) resolve(raw rawRoute) reconcile.Route {
	r, oif := raw.r, raw.oif
	if n := k.nh.find(r.NH); r.NH != 0 && n != nil {
		r.Gw, oif, r.OnLink = n.key.addr(), int(n.key.oif), n.key.onlink
	}
	r.Dev = k.name[oif]
	for i, index := range raw.hops {
		r.Hops[i].Dev = k.name[index]
	}
	return r
}

// parseRouteMsg reads a route message (RTM_NEWROUTE, RTM_DELROUTE) as far
// as it can without k; ok is false for what is not an IP route.
// rtmProtocol is the offset of rtm_protocol in a struct rtmsg.
const rtmProtocol = 5

func parseRouteMsg(p []byte) (raw rawRoute, ok bool) {
	if len(p) < sizeofRtmsg || (p[0] != unix.AF_INET && p[0] != unix.AF_INET6) {
		return raw, false
	}
	r := &raw.r
	dst := netip.IPv4Unspecified()
	if p[0] == unix.AF_INET6 {
		dst = netip.IPv6Unspecified()
	}
	src := dst
	raw.table = uint32(p[4])
	r.Tos, r.Protocol, r.Scope, r.Type = p[3], route.Protocol(p[rtmProtocol]), p[6], p[7]
	if r.Type == unix.RTN_UNICAST {
		r.Type = 0 // the zero value is unicast, as wanted routes are
	}
	r.OnLink = native.Uint32(p[8:])&unix.RTNH_F_ONLINK != 0
	ok = true
	attrs(p[sizeofRtmsg:], func(typ uint16, v []byte) bool {
		switch typ {
		case unix.RTA_DST:
			dst, ok = ipAttr(v)
		case unix.RTA_SRC:
			src, _ = ipAttr(v)
		case unix.RTA_GATEWAY:
			r.Gw, _ = ipAttr(v)
		case unix.RTA_OIF:
			raw.oif = int(u32Attr(v))
		case unix.RTA_PRIORITY:
			r.Metric = u32Attr(v)
		case unix.RTA_TABLE:
			raw.table = u32Attr(v)
		case rtaNHID:
			r.NH = u32Attr(v)
		case unix.RTA_MULTIPATH:
			r.Hops, raw.hops = parseHops(v)
		}
		return true
	})
	r.Dst = netip.PrefixFrom(dst, int(p[1]))
	if p[2] > 0 {
		r.Src = netip.PrefixFrom(src, int(p[2]))
	}
	return raw, ok && r.Dst.IsValid()
}

// parseHops reads RTA_MULTIPATH: struct rtnexthop (length, flags, hops,
// ifindex) each followed by its attributes; and each hop's link index.
func parseHops(v []byte) ([]reconcile.Hop, []int) {
	var hops []reconcile.Hop
	var links []int
	for len(v) >= unix.SizeofRtNexthop {
		n := int(native.Uint16(v))
		if n < unix.SizeofRtNexthop || n > len(v) {
			break
		}
		h := reconcile.Hop{Weight: int(v[3]) + 1}
		links = append(links, int(int32(native.Uint32(v[4:]))))
		attrs(v[unix.SizeofRtNexthop:n], func(typ uint16, a []byte) bool {
			if typ == unix.RTA_GATEWAY {
				h.Gw, _ = ipAttr(a)
			}
			return true
		})
		hops = append(hops, h)
		v = v[min(len(v), (n+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1)):]
	}
	return hops, links
}
