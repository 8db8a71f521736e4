package k8stest

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/vishvananda/netns"
)

// DialFunc is the shape of rest.Config's Dial and http.Transport's
// DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialIn returns a DialFunc whose connections start in the named network
// namespace. The test process stays in the root namespace; only its
// sockets enter the lab, so it reaches an API server that listens on a
// lab address, exactly as a host in that namespace would.
func DialIn(name string) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		res := make(chan result, 1)
		// A socket belongs to the namespace of the thread that creates
		// it, and stays there. Dialing an IP literal creates the socket
		// on the calling goroutine, locked here to a thread switched into
		// the namespace.
		go func() {
			runtime.LockOSThread()
			c, back, err := dialOnThread(ctx, name, network, addr)
			if back {
				runtime.UnlockOSThread()
			} // else leave it locked: the runtime ends a thread left in a foreign namespace
			res <- result{c, err}
		}()
		r := <-res
		return r.c, r.err
	}
}

// dialOnThread dials from inside the namespace; back reports whether the
// thread is in its own namespace again.
func dialOnThread(ctx context.Context, name, network, addr string) (c net.Conn, back bool, err error) {
	orig, err := netns.Get()
	if err != nil {
		return nil, true, fmt.Errorf("dialing %s in namespace %s: %w", addr, name, err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		return nil, true, fmt.Errorf("dialing %s in namespace %s: %w", addr, name, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return nil, true, fmt.Errorf("dialing %s: entering namespace %s: %w", addr, name, err)
	}
	var d net.Dialer
	c, err = d.DialContext(ctx, network, addr)
	if err := netns.Set(orig); err != nil {
		if c != nil {
			c.Close()
		}
		return nil, false, fmt.Errorf("dialing %s: leaving namespace %s: %w", addr, name, err)
	}
	return c, true, err
}
