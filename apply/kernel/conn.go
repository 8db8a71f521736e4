package kernel

import (
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// conn is a raw rtnetlink socket for what the netlink package does slowly
// or not at all: dumps parsed in place, nexthop objects, and writes
// pipelined, many messages to a sendmsg.
type conn struct {
	s     *nl.NetlinkSocket
	fd    int
	seq   uint32
	buf   []byte
	chunk int // messages per sendmsg
	// bt is the messages of one write, made again for the next (batch).
	bt batch
	// strict: the kernel takes NETLINK_GET_STRICT_CHK, and so filters
	// dumps by the fields of the request; strictErr says why not.
	strict    bool
	strictErr error
}

const (
	// rcvBuf is the receive buffer asked for: the kernel queues there the
	// error of every failed message of a chunk before we read one.
	rcvBuf = 4 << 20
	// ackCost bounds what one queued error takes of the receive buffer.
	ackCost  = 2048
	maxChunk = 1024
	// recvTimeout bounds a wait for the kernel's answer.
	recvTimeout = 30 * time.Second
)

// dial opens the socket in ns (netns.None(): the current namespace).
func dial(ns netns.NsHandle) (*conn, error) {
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening rtnetlink socket: %w", err)
	}
	c := &conn{s: s, fd: s.GetFd(), buf: make([]byte, 64<<10)}
	if err := c.setup(); err != nil {
		s.Close()
		return nil, fmt.Errorf("setting up rtnetlink socket: %w", err)
	}
	return c, nil
}

func (c *conn) setup() error {
	if err := unix.SetNonblock(c.fd, false); err != nil {
		return err
	}
	tv := unix.NsecToTimeval(recvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	// Beyond rmem_max only with CAP_NET_ADMIN; without, chunks get smaller.
	if c.s.SetReceiveBufferSize(rcvBuf, true) != nil {
		_ = c.s.SetReceiveBufferSize(rcvBuf, false)
	}
	// Linux 4.20 and later filter dumps by the request's header and
	// attributes once asked to check them strictly; older ones refuse.
	c.strictErr = unix.SetsockoptInt(c.fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1)
	c.strict = c.strictErr == nil
	// Both optional: the kernel's error text, errors without the request.
	_ = c.s.SetExtAck(true)
	_ = unix.SetsockoptInt(c.fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	n, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		return err
	}
	c.chunk = min(max(n/ackCost, 16), maxChunk)
	return nil
}

func (c *conn) close() { c.s.Close() }

// batch returns the conn's batch, emptied: its messages must be sent
// before the next call.
func (c *conn) batch() *batch {
	c.bt.reset()
	return &c.bt
}

func (c *conn) send(b []byte) error {
	for {
		err := unix.Sendto(c.fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		if err != unix.EINTR {
			return err
		}
	}
}

// recv reads one datagram: one or more messages.
func (c *conn) recv() ([]byte, error) {
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != unix.EINTR {
			return c.buf[:max(n, 0)], err
		}
	}
}

// header is the part of a netlink message header answers are told apart by.
type header struct {
	typ, flags uint16
	seq        uint32
}

// each calls f with every message in b, a datagram.
func each(b []byte, f func(h header, payload []byte)) {
	for len(b) >= unix.NLMSG_HDRLEN {
		n := int(native.Uint32(b))
		if n < unix.NLMSG_HDRLEN || n > len(b) {
			return
		}
		f(header{native.Uint16(b[4:]), native.Uint16(b[6:]), native.Uint32(b[8:])}, b[unix.NLMSG_HDRLEN:n])
		n = (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
		if n >= len(b) {
			return
		}
		b = b[n:]
	}
}

// exec sends bt's messages, numbered, in chunks whose last message asks for
// an ack, and returns the kernel's answer to each: nil when it did it. The
// kernel answers every failed message, ack asked or not, in order, so a
// chunk is done when the answer to its last message arrives.
func (c *conn) exec(bt *batch) []error {
	errs := make([]error, bt.len())
	for i := 0; i < bt.len(); i += c.chunk {
		j := min(i+c.chunk, bt.len())
		if err := c.execChunk(bt, i, j, errs); err != nil {
			// Which of the chunk's messages the kernel did is unknown.
			for k := i; k < j; k++ {
				if errs[k] == nil {
					errs[k] = err
				}
			}
		}
	}
	return errs
}

func (c *conn) execChunk(bt *batch, i, j int, errs []error) error {
	first := c.seq + 1
	for k := i; k < j; k++ {
		c.seq++
		h := bt.b[bt.offs[k]:]
		native.PutUint32(h[8:], c.seq)
		flags := native.Uint16(h[6:]) &^ unix.NLM_F_ACK
		if k == j-1 {
			flags |= unix.NLM_F_ACK
		}
		native.PutUint16(h[6:], flags)
	}
	return c.exchange(bt.msgs(i, j), func(h header, p []byte) bool {
		if h.typ != unix.NLMSG_ERROR || h.seq < first || h.seq > c.seq {
			return false
		}
		errs[i+int(h.seq-first)] = ackError(h, p)
		return h.seq == c.seq
	})
}

// exchange sends msgs and passes every answer to f until f has had the
// one it was waiting for (f returns true for it): the rest of that read
// too, so that no answer is left for the next exchange.
func (c *conn) exchange(msgs []byte, f func(h header, p []byte) (last bool)) error {
	if err := c.send(msgs); err != nil {
		return fmt.Errorf("sending to rtnetlink: %w", err)
	}
	for done := false; !done; {
		b, err := c.recv()
		if err != nil {
			return fmt.Errorf("reading rtnetlink's answers: %w", err)
		}
		each(b, func(h header, p []byte) {
			if f(h, p) {
				done = true
			}
		})
	}
	return nil
}

// query sends bt's messages, requests that the kernel answers each with
// one message (a GET without NLM_F_DUMP), numbered, in chunks, and calls
// f with the index of each request and its answer: the object asked for,
// or an NLMSG_ERROR.
func (c *conn) query(bt *batch, f func(i int, h header, p []byte)) error {
	for i := 0; i < bt.len(); i += c.chunk {
		j := min(i+c.chunk, bt.len())
		first := c.seq + 1
		for k := i; k < j; k++ {
			c.seq++
			native.PutUint32(bt.b[bt.offs[k]+8:], c.seq)
		}
		left := j - i
		err := c.exchange(bt.msgs(i, j), func(h header, p []byte) bool {
			if h.seq < first || h.seq > c.seq {
				return false
			}
			f(i+int(h.seq-first), h, p)
			left--
			return left == 0
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// dump sends a dump request of type typ with the fixed header hdr and calls
// f with each answer's payload until the dump ends. It reads the whole dump
// even after f fails; a dump the kernel marks interrupted (the table changed
// under it) fails with netlink.ErrDumpInterrupted.
func (c *conn) dump(typ uint16, hdr []byte, f func(p []byte) error) error {
	var bt batch
	bt.begin(typ, unix.NLM_F_DUMP, hdr...)
	c.seq++
	native.PutUint32(bt.b[8:], c.seq)
	var ferr, end error
	intr := false
	err := c.exchange(bt.b, func(h header, p []byte) (last bool) {
		intr = intr || h.flags&unix.NLM_F_DUMP_INTR != 0
		switch {
		case h.seq != c.seq:
		case h.typ == unix.NLMSG_DONE || h.typ == unix.NLMSG_ERROR:
			end, last = ackError(h, p), true
		case ferr == nil:
			ferr = f(p)
		}
		return last
	})
	switch {
	case err != nil:
		return err
	case end != nil:
		return end
	case ferr != nil:
		return ferr
	case intr:
		return netlink.ErrDumpInterrupted
	}
	return nil
}
