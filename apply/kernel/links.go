package kernel

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/podroutes/podroutes/apply/gateway"
)

var _ gateway.Source = (*Kernel)(nil)

// Links dumps the links and their addresses; the Routes that follows uses
// them rather than dumping the links again.
func (k *Kernel) Links() ([]gateway.Link, error) {
	out, err := k.dumpLinks()
	k.fresh = err == nil
	return out, err
}

// dumpLinks dumps the links and their addresses into k.links.
func (k *Kernel) dumpLinks() ([]gateway.Link, error) {
	links, err := k.refreshLinks()
	if err != nil {
		return nil, err
	}
	var addrs []netlink.Addr
	err = dump(func() (err error) {
		addrs, err = k.h.AddrList(nil, netlink.FAMILY_ALL)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	out := make([]gateway.Link, len(links))
	at := make(map[int]int, len(links))
	for i, l := range links {
		a := l.Attrs()
		out[i] = gateway.Link{Name: a.Name, Up: a.Flags&net.FlagUp != 0}
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
	k.links = out
	return out, nil
}

// Subscribe signals link and address changes until done is closed. The
// returned channel holds at most one pending signal; it is closed if either
// subscription ends before done.
func (k *Kernel) Subscribe(done <-chan struct{}) (<-chan struct{}, error) {
	links := make(chan netlink.LinkUpdate, 16)
	addrs := make(chan netlink.AddrUpdate, 16)
	ns := k.ns
	err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{Namespace: &ns})
	if err != nil {
		return nil, fmt.Errorf("subscribing to link updates: %w", err)
	}
	err = netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{Namespace: &ns})
	if err != nil {
		return nil, fmt.Errorf("subscribing to address updates: %w", err)
	}
	changed := make(chan struct{}, 1)
	go forward(links, addrs, changed)
	return changed, nil
}

// forward turns updates into signals on changed. It drains both channels
// until the library closes them (after done), so that its goroutines never
// block on a send.
func forward(links <-chan netlink.LinkUpdate, addrs <-chan netlink.AddrUpdate, changed chan struct{}) {
	open := true
	for links != nil || addrs != nil {
		var ok bool
		select {
		case _, ok = <-links:
			if !ok {
				links = nil
			}
		case _, ok = <-addrs:
			if !ok {
				addrs = nil
			}
		}
		switch {
		case !ok && open:
			close(changed)
			open = false
		case ok && open:
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}
}
