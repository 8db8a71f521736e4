package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/route"
)

// EventKind says what an Event is about.
type EventKind uint8

const (
	// RouteChanged: a route of the main table was added, changed or deleted.
	RouteChanged EventKind = iota + 1
	// LinkChanged: a link appeared, changed (up, down, renamed) or went.
	LinkChanged
	// AddrChanged: an address was added to a link or removed.
	AddrChanged
	// NexthopChanged: a nexthop object was added or deleted.
	NexthopChanged
	// EventsLost: the kernel dropped events (the socket overflowed): what
	// they said is unknown, and everything must be read again.
	EventsLost
	// NeighChanged: a permanent neighbour or FDB entry was added or
	// deleted (NeighEvents only): podroutes' tunnel entries are such.
	NeighChanged
)

// Event is one change the kernel announced, as much of it as podroutes
// reads. Events come from Events; Observe completes them.
type Event struct {
	Kind    EventKind
	Deleted bool
	// Route is the route of a RouteChanged (its device, and its gateway
	// when it goes through a nexthop object, once observed).
	Route reconcile.Route
	// Index and Name are the link of a LinkChanged or AddrChanged (Name
	// once observed); Up is the link's IFF_UP, MTU its MTU.
	Index int
	Name  string
	Up    bool
	MTU   int
	// Prefix is the address of an AddrChanged, with its prefix length.
	Prefix netip.Prefix
	// ID is the nexthop object of a NexthopChanged.
	ID uint32
	// raw is the route as read, its links named by Observe.
	raw rawRoute
	// replace: the route replaced another with its key (NLM_F_REPLACE).
	replace bool
	// carrier: the link of a LinkChanged has IFF_RUNNING or IFF_LOWER_UP.
	carrier bool
}

// String describes e for a person: "link eth0 down", "address
// 10.240.0.10/24 removed", "route 10.200.1.0/24 via 10.240.0.21 deleted".
func (e Event) String() string {
	switch e.Kind {
	case RouteChanged:
		return fmt.Sprintf("route %s %s", e.Route.Short(), verb(e.Deleted, "deleted", "added"))
	case LinkChanged:
		state := "up"
		switch {
		case e.Deleted:
			state = "removed"
		case !e.Up:
			state = "down"
		}
		return fmt.Sprintf("link %s %s", e.Name, state)
	case AddrChanged:
		return fmt.Sprintf("address %s %s", e.Prefix, verb(e.Deleted, "removed", "added"))
	case NexthopChanged:
		return fmt.Sprintf("nexthop %d %s", e.ID, verb(e.Deleted, "deleted", "added"))
	case NeighChanged:
		return fmt.Sprintf("neighbour or fdb entry on %s %s", e.Name, verb(e.Deleted, "deleted", "added"))
	}
	return "lost events"
}

func verb(deleted bool, yes, no string) string {
	if deleted {
		return yes
	}
	return no
}

// The rtnetlink multicast groups watch and a wait join.
var (
	allGroups  = []int{unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_IFADDR, unix.RTNLGRP_IPV6_IFADDR, unix.RTNLGRP_IPV4_ROUTE, unix.RTNLGRP_IPV6_ROUTE, unix.RTNLGRP_NEXTHOP}
	linkGroups = []int{unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_IFADDR, unix.RTNLGRP_IPV6_IFADDR}
)

// Variables, not constants, for the test that overflows them.
var (
	// eventBuffer is how many events wait for Events' consumer; beyond,
	// the socket's buffer holds them. Subscribe's reader turns them into
	// one pending signal at once, so a few are plenty there (4096 Events
	// would be 1.7 MB for apply to touch, a sixth of its memory).
	eventBuffer     = 4096
	subscribeBuffer = 16
	// receiveBuffer is the socket buffer asked for, memory the kernel
	// takes only while events wait in it: a link going down deletes every
	// route through it at once, one message each, and a pass writing 5000
	// routes and their nexthops gets 10,000 back while it writes. About
	// 20,000 messages fit (each takes some 800 bytes of it); beyond, they
	// are lost (EventsLost) and the watcher reads the table again.
	receiveBuffer = 16 << 20
)

// Events sends every route, link, address and nexthop change of k's
// namespace, until done is closed; then the channel is closed. When the
// kernel drops events (the socket overflowed with ENOBUFS) or the channel
// is full, an EventsLost follows the events that made it. It reads the
// messages itself, on one socket, keeping of each only what podroutes
// reads: on a busy node most events are other owners' and cost little.
//
// Events uses no state of k but its namespace, so it may run while k is
// in use; from then on k keeps its links and nexthop objects as the
// events say, if the caller gives every event to Observe, and dumps them
// only after EventsLost.
func (k *Kernel) Events(done <-chan struct{}) (<-chan Event, error) {
	out, err := subscribe(k.here(), allGroups, eventBuffer, done)
	if err == nil {
		k.observing = true
	}
	return out, err
}

// Subscribe signals link and address changes until done is closed. The
// returned channel holds at most one pending signal; it is closed if the
// subscription ends before done.
func (k *Kernel) Subscribe(done <-chan struct{}) (<-chan struct{}, error) {
	events, err := subscribe(k.here(), linkGroups, subscribeBuffer, done)
	if err != nil {
		return nil, err
	}
	changed := make(chan struct{}, 1)
	go func() {
		defer close(changed)
		for range events {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	return changed, nil
}

// subscribe opens a socket in ns joined to groups and forwards the events
// read on it, through a channel of buffer, until done is closed.
func subscribe(ns netns.NsHandle, groups []int, buffer int, done <-chan struct{}) (<-chan Event, error) {
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("subscribing to kernel events: %w", err)
	}
	fd := s.GetFd()
	for _, g := range groups {
		if err == nil {
			err = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, g)
		}
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("subscribing to kernel events: %w", err)
	}
	// Beyond rmem_max only with CAP_NET_ADMIN, which route changes need.
	if s.SetReceiveBufferSize(receiveBuffer, true) != nil {
		_ = s.SetReceiveBufferSize(receiveBuffer, false)
	}
	// The reader waits in Go's poller, not in recvfrom(2): a thread
	// blocked there is one the runtime's monitor keeps taking the
	// processor from, which cost watch three times the CPU of the events
	// themselves for a hundred pods starting and stopping. The socket is
	// in the poller already, but as a file netlink keeps to itself: a
	// duplicate of its descriptor (non-blocking too: the flag belongs to
	// the socket) becomes our file, and the original is closed. Closing
	// ours wakes the reader.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	s.Close()
	if err != nil {
		return nil, fmt.Errorf("subscribing to kernel events: %w", err)
	}
	f := os.NewFile(uintptr(dup), "netlink")
	conn, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("subscribing to kernel events: %w", err)
	}
	out := make(chan Event, buffer)
	stop := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-stop:
		}
		f.Close()
	}()
	go func() {
		defer close(stop)
		read(conn, done, out)
	}()
	return out, nil
}

// read forwards the events of the socket conn to out until done is closed
// or the socket fails, then closes out.
func read(conn syscall.RawConn, done <-chan struct{}, out chan<- Event) {
	defer close(out)
	buf := make([]byte, 1<<16)
	// send waits for room: while the consumer is busy (a pass writing
	// thousands of routes, whose events come back to it), the socket's
	// buffer holds what follows; only when that overflows are events lost
	// (ENOBUFS), which an EventsLost says. Dropping them here instead
	// turned every large heal into a second, full pass.
	send := func(ev Event) bool {
		select {
		case out <- ev:
			return true
		case <-done:
			return false
		}
	}
	for {
		var n int
		var rerr error
		err := conn.Read(func(fd uintptr) bool {
			n, rerr = recvNoWait(fd, buf)
			return rerr != unix.EAGAIN
		})
		select {
		case <-done:
			return
		default:
		}
		ok := true
		switch {
		case err == nil && errors.Is(rerr, unix.EINTR):
		case err == nil && errors.Is(rerr, unix.ENOBUFS):
			ok = send(Event{Kind: EventsLost}) // the kernel dropped some
		case err != nil, rerr != nil:
			send(Event{Kind: EventsLost})
			return
		default:
			each(buf[:n], func(h header, p []byte) {
				if ev, parsed := parseEvent(h, p); ok && parsed {
					ok = send(ev)
				}
			})
		}
		if !ok {
			return
		}
	}
}

// parseEvent reads the parts of a notification podroutes looks at: of
// routes, the main table's only.
func parseEvent(h header, p []byte) (Event, bool) {
	ev := Event{Deleted: h.typ == unix.RTM_DELROUTE || h.typ == unix.RTM_DELLINK || h.typ == unix.RTM_DELADDR ||
		h.typ == unix.RTM_DELNEXTHOP || h.typ == unix.RTM_DELNEIGH}
	switch h.typ {
	case unix.RTM_NEWNEIGH, unix.RTM_DELNEIGH:
		// struct ndmsg: family, padding, ifindex at 4, state at 8. Of
		// the entries added or changed, only permanent ones are anyone's
		// to write: the kernel's own (ARP's states, learnt FDB entries)
		// churn on a busy host and are dropped here, on the reader's
		// goroutine. A deletion says the state the entry was left in
		// (failed), not the one it had: every one is sent.
		if len(p) < sizeofNdmsg {
			return ev, false
		}
		ev.Kind = NeighChanged
		ev.Index = int(int32(native.Uint32(p[4:])))
		return ev, ev.Deleted || native.Uint16(p[8:])&unix.NUD_PERMANENT != 0
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
		raw, ok := parseRouteMsg(p)
		ev.Kind, ev.Route, ev.raw = RouteChanged, raw.r, raw
		ev.replace = h.flags&unix.NLM_F_REPLACE != 0
		return ev, ok && raw.table == route.MainTable
	case unix.RTM_NEWLINK, unix.RTM_DELLINK:
		if len(p) < unix.SizeofIfInfomsg {
			return ev, false
		}
		ev.Kind = LinkChanged
		ev.Index = int(int32(native.Uint32(p[4:])))
		flags := native.Uint32(p[8:])
		ev.Up = flags&unix.IFF_UP != 0
		ev.carrier = flags&(unix.IFF_RUNNING|unix.IFF_LOWER_UP) != 0
		attrs(p[unix.SizeofIfInfomsg:], func(typ uint16, v []byte) bool {
			switch typ {
			case unix.IFLA_IFNAME:
				ev.Name = string(bytes.TrimRight(v, "\x00"))
			case unix.IFLA_MTU:
				ev.MTU = int(u32Attr(v))
			}
			return true
		})
		return ev, true
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		if len(p) < unix.SizeofIfAddrmsg {
			return ev, false
		}
		ev.Kind = AddrChanged
		ev.Index = int(native.Uint32(p[4:]))
		var local, address netip.Addr
		attrs(p[unix.SizeofIfAddrmsg:], func(typ uint16, v []byte) bool {
			switch typ {
			case unix.IFA_LOCAL:
				local, _ = ipAttr(v)
			case unix.IFA_ADDRESS:
				address, _ = ipAttr(v)
			}
			return true
		})
		// IFA_LOCAL is the address (IFA_ADDRESS is the peer's on a point
		// to point link); IPv6 sends IFA_ADDRESS only.
		a := local
		if !a.IsValid() {
			a = address
		}
		ev.Prefix = netip.PrefixFrom(a, int(p[1]))
		return ev, a.IsValid()
	case unix.RTM_NEWNEXTHOP, unix.RTM_DELNEXTHOP:
		if len(p) < sizeofNhmsg {
			return ev, false
		}
		ev.Kind = NexthopChanged
		attrs(p[sizeofNhmsg:], func(typ uint16, v []byte) bool {
			if typ == unix.NHA_ID {
				ev.ID = u32Attr(v)
			}
			return true
		})
		return ev, ev.ID != 0
	}
	return ev, false
}

// Observe keeps k's links, addresses and nexthop objects as ev says, and
// completes a RouteChanged with its device (and, through a nexthop
// object, its gateway). A caller of Events gives it every event, in order,
// on the goroutine that uses k; EventsLost makes k read everything again.
func (k *Kernel) Observe(ev *Event) {
	switch ev.Kind {
	case RouteChanged:
		ev.Route = k.resolve(ev.raw)
		k.refusing.observe(ev.Route, ev.Deleted, ev.replace) // of the main table: parseEvent
	case LinkChanged:
		k.observeLink(ev)
	case AddrChanged:
		k.observeAddr(ev)
	case NexthopChanged:
		if ev.Deleted {
			k.nh.drop([]uint32{ev.ID})
		}
	case NeighChanged:
		ev.Name = k.name[ev.Index]
	case EventsLost:
		k.links, k.refusing = nil, nil
	}
}

// sizeofNdmsg is struct ndmsg's size.
const sizeofNdmsg = 12

// NeighEvents sends the permanent neighbour and FDB entries added or
// deleted in k's namespace (NeighChanged), until done is closed; on a
// socket of its own, joined only while a watcher keeps a tunnel, so that
// a host without one reads no neighbour event. Observe names their link.
func (k *Kernel) NeighEvents(done <-chan struct{}) (<-chan Event, error) {
	return subscribe(k.here(), []int{unix.RTNLGRP_NEIGH}, subscribeBuffer, done)
}

// recvNoWait reads a datagram from the non-blocking socket fd, as a raw
// system call: it cannot block, and a plain one (entersyscall) wakes the
// runtime's monitor thread from its sleep each time, which on an idle
// watcher is a wake-up of a second thread for every event.
func recvNoWait(fd uintptr, buf []byte) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
