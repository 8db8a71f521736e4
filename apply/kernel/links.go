package kernel

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"

	"github.com/podroutes/podroutes/apply/gateway"
)

var _ gateway.Source = (*Kernel)(nil)

// Links returns the links and their addresses: those k keeps from the
// events a watcher observes (Observe), or else a dump; the Routes that
// follows uses them rather than dumping the links again. The result is
// k's: the caller must not change it.
func (k *Kernel) Links() ([]gateway.Link, error) {
	if k.observing && k.links != nil {
		k.fresh = true
		return k.links, nil
	}
	out, err := k.dumpLinks()
	k.fresh = err == nil
	return out, err
}

// ReadLinks returns the links and their addresses as the kernel has them
// now: a dump, whatever k keeps from a watcher's events (Links), which it
// leaves as it is. A reload asks it which host this is: the address that
// says so may have come a moment ago, its event not yet observed (the
// cache would not show it, and the reload would keep the old config).
func (k *Kernel) ReadLinks() ([]gateway.Link, error) {
	links, err := k.listLinks()
	if err != nil {
		return nil, err
	}
	out, _, err := k.withAddrs(links)
	return out, err
}

// dumpLinks dumps the links and their addresses into k.links.
func (k *Kernel) dumpLinks() ([]gateway.Link, error) {
	links, err := k.refreshLinks()
	if err != nil {
		return nil, err
	}
	out, at, err := k.withAddrs(links)
	if err != nil {
		return nil, err
	}
	k.links, k.at = out, at
	return out, nil
}

// withAddrs dumps the addresses and returns links with theirs, and the
// position of each link index in the result.
func (k *Kernel) withAddrs(links []netlink.Link) ([]gateway.Link, map[int]int, error) {
	var addrs []netlink.Addr
	err := dump(func() (err error) {
		addrs, err = k.h.AddrList(nil, netlink.FAMILY_ALL)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing addresses: %w", err)
	}
	out := make([]gateway.Link, len(links))
	at := make(map[int]int, len(links))
	for i, l := range links {
		a := l.Attrs()
		out[i] = gateway.Link{Name: a.Name, Up: a.Flags&net.FlagUp != 0, MTU: a.MTU}
		at[a.Index] = i
	}
	for _, a := range addrs {
		i, ok := at[a.LinkIndex]
		ip, ok2 := netip.AddrFromSlice(a.IP)
		if !ok || !ok2 {
			continue
		}
		bits, _ := a.Mask.Size()
		out[i].Prefixes = append(out[i].Prefixes, netip.PrefixFrom(ip.Unmap(), bits))
	}
	return out, at, nil
}

// observeLink keeps k's links as ev, a LinkChanged, says, and names ev.
// A link going down or away, or losing its carrier while up (a bridge
// whose only port goes down), takes the nexthop objects on it with it,
// unannounced: the kernel's nexthop_flush_dev, on NETDEV_DOWN,
// NETDEV_UNREGISTER, and NETDEV_CHANGE without IFF_RUNNING or
// IFF_LOWER_UP (net/ipv4/nexthop.c, nh_netdev_event), sends no
// RTM_DELNEXTHOP.
func (k *Kernel) observeLink(ev *Event) {
	if ev.Name == "" {
		ev.Name = k.name[ev.Index]
	}
	if ev.Deleted || !ev.Up || !ev.carrier {
		k.nh.dropOn(int32(ev.Index))
	}
	if old, ok := k.name[ev.Index]; ok && k.index[old] == ev.Index {
		delete(k.index, old) // renamed or gone
	}
	delete(k.name, ev.Index)
	if !ev.Deleted {
		k.name[ev.Index], k.index[ev.Name] = ev.Name, ev.Index
	}
	if k.links == nil {
		return // the next Links dumps them
	}
	i, ok := k.at[ev.Index]
	switch {
	case ev.Deleted && ok:
		k.links = slices.Delete(k.links, i, i+1)
		k.indexLinks()
	case !ok && !ev.Deleted:
		k.links = append(k.links, gateway.Link{Name: ev.Name, Up: ev.Up, MTU: ev.MTU})
		k.at[ev.Index] = len(k.links) - 1
	case ok:
		k.links[i].Name, k.links[i].Up, k.links[i].MTU = ev.Name, ev.Up, ev.MTU
	}
}

// observeAddr keeps k's links' addresses as ev, an AddrChanged, says.
func (k *Kernel) observeAddr(ev *Event) {
	ev.Name = k.name[ev.Index]
	i, ok := k.at[ev.Index]
	if k.links == nil || !ok {
		return
	}
	l := &k.links[i]
	at := slices.Index(l.Prefixes, ev.Prefix)
	switch {
	case ev.Deleted && at >= 0:
		l.Prefixes = slices.Delete(slices.Clone(l.Prefixes), at, at+1)
	case !ev.Deleted && at < 0:
		l.Prefixes = append(slices.Clone(l.Prefixes), ev.Prefix)
	}
}

// indexLinks rebuilds k.at, the position of each link index in k.links.
func (k *Kernel) indexLinks() {
	k.at = make(map[int]int, len(k.links))
	for i, l := range k.links {
		k.at[k.index[l.Name]] = i
	}
}
