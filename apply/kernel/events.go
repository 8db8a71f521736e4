package kernel

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// eventBuffer is how many event descriptions wait for the consumer; more
// are dropped (see Events).
const eventBuffer = 64

// receiveBuffer is the socket buffer each subscription asks for: a link
// going down deletes every route through it at once, one message each.
const receiveBuffer = 4 << 20

// Events describes every link, address and main-table route change, one
// line each ("link eth0 down", "route 10.200.1.0/24 via 10.240.0.21
// deleted"), until done is closed; then the channel is closed. It is also
// closed, before done, when a subscription ends (its socket overflowed with
// ENOBUFS, say): events may then have been missed, and the caller must
// subscribe again and re-read the kernel.
//
// A description that finds the channel full is dropped: the consumer reads
// the kernel after the events it does receive, which is after the dropped
// ones. Events uses no state of k but its namespace, so it may run while k
// is in use.
func (k *Kernel) Events(done <-chan struct{}) (<-chan string, error) {
	s := &subscription{stop: make(chan struct{}), failed: make(chan struct{}), out: make(chan string, eventBuffer)}
	go func() {
		select {
		case <-done:
		case <-s.failed:
		}
		close(s.stop)
	}()
	ns := k.ns
	err := listen(s, "link", func(ch chan netlink.LinkUpdate, force bool) error {
		return netlink.LinkSubscribeWithOptions(ch, s.stop, netlink.LinkSubscribeOptions{
			Namespace: &ns, ReceiveBufferSize: receiveBuffer, ReceiveBufferForceSize: force})
	}, describeLink)
	if err == nil {
		err = listen(s, "address", func(ch chan netlink.AddrUpdate, force bool) error {
			return netlink.AddrSubscribeWithOptions(ch, s.stop, netlink.AddrSubscribeOptions{
				Namespace: &ns, ReceiveBufferSize: receiveBuffer, ReceiveBufferForceSize: force})
		}, describeAddr)
	}
	if err == nil {
		err = listen(s, "route", func(ch chan netlink.RouteUpdate, force bool) error {
			return netlink.RouteSubscribeWithOptions(ch, s.stop, netlink.RouteSubscribeOptions{
				Namespace: &ns, ReceiveBufferSize: receiveBuffer, ReceiveBufferForceSize: force})
		}, describeRoute)
	}
	go func() {
		s.wg.Wait()
		close(s.out)
	}()
	if err != nil {
		s.fail()
		return nil, err
	}
	return s.out, nil
}

// subscription is the link, address and route subscriptions of one Events
// call, ended together by closing stop.
type subscription struct {
	stop   chan struct{}
	once   sync.Once
	failed chan struct{} // closed when any subscription ends
	out    chan string
	wg     sync.WaitGroup
}

func (s *subscription) fail() { s.once.Do(func() { close(s.failed) }) }

// listen subscribes with sub, with a forced receive buffer (it needs
// CAP_NET_ADMIN, which route changes need anyway) or else the capped one,
// and forwards the descriptions of the updates to s.out.
func listen[T any](s *subscription, what string, sub func(ch chan T, force bool) error, describe func(T) (string, bool)) error {
	ch := make(chan T, eventBuffer)
	err := sub(ch, true)
	if errors.Is(err, unix.EPERM) {
		err = sub(ch, false)
	}
	if err != nil {
		return fmt.Errorf("subscribing to %s updates: %w", what, err)
	}
	s.wg.Add(1)
	go drain(s, ch, describe)
	return nil
}

// drain forwards the descriptions of in's updates until the library closes
// in, which it does once its socket is closed or fails; it never blocks the
// library's goroutine. Then it ends the other subscriptions too: if done was
// not closed, this one was lost.
func drain[T any](s *subscription, in <-chan T, describe func(T) (string, bool)) {
	defer s.wg.Done()
	defer s.fail()
	for u := range in {
		d, ok := describe(u)
		if !ok {
			continue
		}
		select {
		case s.out <- d:
		default: // full: the consumer has events pending anyway
		}
	}
}

func describeLink(u netlink.LinkUpdate) (string, bool) {
	a := u.Attrs()
	switch {
	case u.Header.Type == unix.RTM_DELLINK:
		return fmt.Sprintf("link %s removed", a.Name), true
	case a.Flags&net.FlagUp == 0:
		return fmt.Sprintf("link %s down", a.Name), true
	}
	return fmt.Sprintf("link %s up", a.Name), true
}

func describeAddr(u netlink.AddrUpdate) (string, bool) {
	verb := "removed"
	if u.NewAddr {
		verb = "added"
	}
	return fmt.Sprintf("address %s %s", u.LinkAddress.String(), verb), true
}

// describeRoute describes changes to the main table; the other tables
// (local, policy routing) are not podroutes'.
func describeRoute(u netlink.RouteUpdate) (string, bool) {
	if u.Table != unix.RT_TABLE_MAIN {
		return "", false
	}
	dst := "default"
	if u.Dst != nil {
		dst = u.Dst.String()
	}
	if u.Gw != nil {
		dst += " via " + u.Gw.String()
	}
	verb := "added"
	if u.Type == unix.RTM_DELROUTE {
		verb = "deleted"
	}
	return fmt.Sprintf("route %s %s", dst, verb), true
}
