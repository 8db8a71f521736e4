package kernel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
)

var _ reconcile.Kernel = (*Kernel)(nil)

// Routes dumps the main table (IPv4 and IPv6), keeping from each route only
// what reconcile compares.
func (k *Kernel) Routes(ctx context.Context) ([]reconcile.Route, error) {
	if _, err := k.refreshLinks(); err != nil {
		return nil, err
	}
	var rs []reconcile.Route
	filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
	err := dump(func() error {
		rs = rs[:0]
		return k.h.RouteListFilteredIter(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_TABLE, func(r netlink.Route) bool {
			if r, ok := k.fromNetlink(r); ok {
				rs = append(rs, r)
			}
			return ctx.Err() == nil
		})
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	return rs, nil
}

// fromNetlink converts r; ok is false for a route podroutes has no use for
// (not IP).
func (k *Kernel) fromNetlink(r netlink.Route) (reconcile.Route, bool) {
	var dst netip.Prefix
	switch {
	case r.Dst != nil:
		a, ok := netip.AddrFromSlice(r.Dst.IP)
		bits, _ := r.Dst.Mask.Size()
		if !ok {
			return reconcile.Route{}, false
		}
		dst = netip.PrefixFrom(a.Unmap(), bits)
	case r.Family == netlink.FAMILY_V4:
		dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	case r.Family == netlink.FAMILY_V6:
		dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	default:
		return reconcile.Route{}, false
	}
	gw, _ := netip.AddrFromSlice(r.Gw)
	return reconcile.Route{
		Dst:      dst,
		Gw:       gw.Unmap(),
		Dev:      k.name[r.LinkIndex],
		OnLink:   r.Flags&unix.RTNH_F_ONLINK != 0,
		Protocol: reconcile.Protocol(r.Protocol),
		Metric:   uint32(r.Priority),
	}, true
}

// toNetlink builds the netlink route for r.
func (k *Kernel) toNetlink(r reconcile.Route) (*netlink.Route, error) {
	link, err := k.linkIndex(r.Dev)
	if err != nil {
		return nil, err
	}
	nr := &netlink.Route{
		Dst:       &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
		LinkIndex: link,
		Protocol:  netlink.RouteProtocol(r.Protocol),
		Priority:  int(r.Metric),
		Table:     unix.RT_TABLE_MAIN,
	}
	if r.Gw.IsValid() {
		nr.Gw = r.Gw.AsSlice()
	}
	if r.OnLink {
		nr.Flags = int(netlink.FLAG_ONLINK)
	}
	return nr, nil
}

// Add adds r; it fails with EEXIST if the destination has a route with
// r's metric.
func (k *Kernel) Add(r reconcile.Route) error {
	nr, err := k.toNetlink(r)
	if err != nil {
		return err
	}
	return k.h.RouteAdd(nr)
}

// Replace replaces the route to r.Dst with r.Metric, or adds r.
func (k *Kernel) Replace(r reconcile.Route) error {
	nr, err := k.toNetlink(r)
	if err != nil {
		return err
	}
	return k.h.RouteReplace(nr)
}

// Delete deletes the route matching r's destination, gateway, device,
// protocol and metric, of any scope and type. A route already gone (ESRCH)
// is success.
func (k *Kernel) Delete(r reconcile.Route) error {
	nr, err := k.toNetlink(r)
	if err != nil {
		return err
	}
	nr.Scope = netlink.SCOPE_NOWHERE
	if err := k.h.RouteDel(nr); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
