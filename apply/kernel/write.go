package kernel

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/route"
)

// Add adds r; it fails with EEXIST if the destination has a route with
// r's metric.
func (k *Kernel) Add(r reconcile.Route) error { return k.one(reconcile.Add, r) }

// Replace replaces the route to r.Dst with r.Metric, or adds r.
func (k *Kernel) Replace(r reconcile.Route) error { return k.one(reconcile.Replace, r) }

// Delete deletes the route matching r's destination, gateway, device,
// protocol and metric (or nexthop object, if r.NH is set), of any scope
// and type. A route already gone (ESRCH) is success.
func (k *Kernel) Delete(r reconcile.Route) error { return k.one(reconcile.Delete, r) }

func (k *Kernel) one(op reconcile.Op, r reconcile.Route) error {
	return k.WriteBatch([]reconcile.Write{{Op: op, Route: r}}, nil)[0]
}

// WriteBatch makes the writes in order, pipelined on one socket: first the
// nexthop objects the adds and replaces need, then the routes. Each write
// gets the kernel's answer to it.
func (k *Kernel) WriteBatch(ws []reconcile.Write, log logs.Logger) []error {
	errs, stale := k.writeBatch(ws, log)
	if len(stale) == 0 {
		return errs
	}
	// Their nexthop objects were gone behind k's back: the kernel deletes
	// them without a word when their link loses its carrier (an uplink
	// bridge whose only port goes down), maybe after the pass read the
	// table. k reads them again (writeBatch set k.nh.loaded false) and
	// writes these once more now, rather than leave them to a retry that
	// may be a minute away (watch's backoff).
	again := make([]reconcile.Write, len(stale))
	for j, i := range stale {
		again[j] = ws[i]
	}
	errs2, _ := k.writeBatch(again, log)
	for j, err := range errs2 {
		errs[stale[j]] = err
	}
	return errs
}

// writeBatch is WriteBatch's one try; stale are the adds and replaces that
// failed as if their nexthop object were gone.
func (k *Kernel) writeBatch(ws []reconcile.Write, log logs.Logger) (errs []error, stale []int) {
	errs = make([]error, len(ws))
	if !k.nh.loaded {
		if err := k.load(); err != nil {
			for i := range errs {
				errs[i] = fmt.Errorf("listing nexthops and routes: %w", err)
			}
			return errs, nil
		}
	}
	ids := k.nexthopsFor(ws, log)
	bt := k.c.batch()
	of := make([]int, 0, len(ws)) // the write of each message
	for i, w := range ws {
		if errs[i] = k.encodeRoute(bt, w, ids[i]); errs[i] == nil {
			of = append(of, i)
		}
	}
	var gone []int // deletes that found no route
	for j, err := range k.c.exec(bt) {
		i := of[j]
		w := ws[i]
		if w.Op == reconcile.Delete && errIs(err, unix.ESRCH) {
			err, gone = nil, append(gone, i)
		}
		if errs[i] = err; err != nil {
			if ids[i] != 0 && errIs(err, unix.EINVAL, unix.ENOENT) {
				// Most likely the nexthop object is gone behind k's back:
				// read them again before the next write (the retry).
				k.nh.loaded = false
				if w.Op != reconcile.Delete {
					stale = append(stale, i)
				}
			}
			continue
		}
		switch {
		case w.Op == reconcile.Delete:
			k.nh.use(w.Route.NH, -1)
		case w.Op == reconcile.Replace:
			k.nh.recount = true // the route replaced may have used one
			fallthrough
		default:
			k.nh.use(ids[i], 1)
		}
	}
	k.deleteVia(ws, gone, errs)
	k.confirmGone(ws, gone, errs)
	return errs, stale
}

// confirmGone checks that the routes of ws at gone, deletes the kernel
// answered with "no such route", are really not in the table: a delete
// that matched nothing must not pass for one that worked. One that is
// still there gets an error. It dumps the table only when there are such
// deletes, which is rare: another process deleted the route first.
func (k *Kernel) confirmGone(ws []reconcile.Write, gone []int, errs []error) {
	left := gone[:0:0]
	for _, i := range gone {
		if errs[i] == nil {
			left = append(left, i)
		}
	}
	if len(left) == 0 {
		return
	}
	protocols := make([]route.Protocol, len(left))
	for j, i := range left {
		protocols[j] = ws[i].Route.Protocol
	}
	var table []reconcile.Route
	err := dump(func() error {
		table = table[:0]
		return k.reload(protocols, func(r reconcile.Route) error { table = append(table, r); return nil })
	})
	for _, i := range left {
		w := ws[i].Route
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("no route matched the delete, and listing the routes to make sure failed: %w", err)
		case slices.ContainsFunc(table, w.Deletes):
			errs[i] = fmt.Errorf("no route matched the delete, but the kernel still has it")
		}
	}
}

// deleteVia deletes again, by nexthop object, the routes of ws at gone:
// deleted by gateway, not found. A route through a nexthop object matches
// a delete only by the object's id, so a route given with its gateway
// (not as dumped, with its NH) is deleted through each nexthop of that
// gateway (and device) there is.
func (k *Kernel) deleteVia(ws []reconcile.Write, gone []int, errs []error) {
	bt := k.c.batch()
	var of []int
	var via []uint32
	for _, i := range gone {
		r := ws[i].Route
		if r.NH != 0 || !r.Gw.IsValid() {
			continue
		}
		gw := newKey(r.Gw, 0, r.OnLink)
		for _, n := range k.nh.list {
			if n.key.gw == gw.gw && n.key.family == gw.family && n.key.onlink == r.OnLink && (r.Dev == "" || k.name[int(n.key.oif)] == r.Dev) {
				r.NH = n.id
				if k.encodeRoute(bt, reconcile.Write{Op: reconcile.Delete, Route: r}, 0) == nil {
					of, via = append(of, i), append(via, n.id)
				}
			}
		}
	}
	for j, err := range k.c.exec(bt) {
		switch {
		case err == nil:
			k.nh.use(via[j], -1)
		case !errIs(err, unix.ESRCH):
			errs[of[j]] = err
		}
	}
}

// encodeRoute appends the message for w; nh is the nexthop object an add
// or replace goes through (0: none).
func (k *Kernel) encodeRoute(bt *batch, w reconcile.Write, nh uint32) error {
	r := w.Route
	typ, flags := uint16(unix.RTM_NEWROUTE), uint16(unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	scope, kind := byte(unix.RT_SCOPE_UNIVERSE), byte(unix.RTN_UNICAST)
	switch w.Op {
	case reconcile.Replace:
		flags = unix.NLM_F_CREATE | unix.NLM_F_REPLACE
	case reconcile.Delete:
		typ, flags, nh = unix.RTM_DELROUTE, 0, r.NH
		scope, kind = unix.RT_SCOPE_NOWHERE, unix.RTN_UNSPEC // any
		if r.Dst.Addr().Is4() {
			// IPv4 (fib_table_delete) deletes the first route at the key
			// that the delete does not rule out: without the type, a
			// delete of a blackhole route (no device, no gateway) takes
			// the unicast route ahead of it. IPv6 ignores the type.
			kind = r.Kind()
		}
	}
	if w.Op != reconcile.Delete && nh == 0 && !r.Gw.IsValid() {
		scope = unix.RT_SCOPE_LINK
	}
	oif, err := k.linkIndex(r.Dev)
	if err != nil {
		return err
	}
	var rflags [4]byte
	if r.OnLink && nh == 0 {
		native.PutUint32(rflags[:], unix.RTNH_F_ONLINK)
	}
	// The destination, source and TOS are the route's key, for a delete
	// as for an add: a delete without the TOS or source of a route that
	// has them finds no route (ESRCH) and leaves it there.
	srcLen := 0
	if r.Src.IsValid() {
		srcLen = r.Src.Bits()
	}
	bt.begin(typ, flags, family(r.Dst.Addr()), byte(r.Dst.Bits()), byte(srcLen), r.Tos,
		byte(route.MainTable), byte(r.Protocol), scope, kind, rflags[0], rflags[1], rflags[2], rflags[3])
	bt.addr(unix.RTA_DST, r.Dst.Addr())
	if srcLen > 0 {
		bt.addr(unix.RTA_SRC, r.Src.Addr())
	}
	bt.u32(unix.RTA_PRIORITY, r.Metric)
	switch {
	case nh != 0:
		bt.u32(rtaNHID, nh)
	case r.Gw.IsValid():
		bt.addr(unix.RTA_GATEWAY, r.Gw)
	}
	if nh == 0 && oif != 0 {
		bt.u32(unix.RTA_OIF, uint32(oif))
	}
	if w.Op == reconcile.Delete && len(r.Hops) > 0 && r.Dst.Addr().Is4() {
		// An IPv4 delete without its hops names no gateway or device:
		// fib_nh_match lets it take any route at the key of its protocol,
		// the one ahead of it too. With them, only a route with those
		// hops. (An IPv6 delete without a gateway takes a multipath route
		// whole, all its siblings; with RTA_MULTIPATH, hop by hop.)
		mp, err := k.multipath(r.Hops)
		if err != nil {
			return err
		}
		bt.attr(unix.RTA_MULTIPATH, mp)
	}
	return nil
}

// multipath encodes hops as RTA_MULTIPATH: struct rtnexthop (length,
// flags, hops: the weight less one, ifindex), then the hop's gateway.
func (k *Kernel) multipath(hops []reconcile.Hop) ([]byte, error) {
	var b []byte
	for _, h := range hops {
		oif, err := k.linkIndex(h.Dev)
		if err != nil {
			return nil, err
		}
		n := unix.SizeofRtNexthop
		if h.Gw.IsValid() {
			n += unix.SizeofRtAttr + len(h.Gw.AsSlice())
		}
		hop := make([]byte, unix.SizeofRtNexthop, n)
		native.PutUint16(hop[0:], uint16(n))
		hop[3] = byte(max(h.Weight-1, 0))
		native.PutUint32(hop[4:], uint32(oif))
		if h.Gw.IsValid() {
			var a [unix.SizeofRtAttr]byte
			native.PutUint16(a[0:], uint16(unix.SizeofRtAttr+len(h.Gw.AsSlice())))
			native.PutUint16(a[2:], unix.RTA_GATEWAY)
			hop = append(append(hop, a[:]...), h.Gw.AsSlice()...)
		}
		b = append(b, hop...)
	}
	return b, nil
}
