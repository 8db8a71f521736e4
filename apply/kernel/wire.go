package kernel

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// Constants golang.org/x/sys lacks, and sizes.
const (
	rtaNHID     = 30 // RTA_NH_ID: the nexthop object a route uses
	sizeofRtmsg = unix.SizeofRtMsg
	sizeofNhmsg = 8 // struct nhmsg: family, scope, protocol, resvd, flags
)

var native = binary.NativeEndian

// batch is netlink messages laid end to end, the way many are sent in one
// sendmsg; conn.exec numbers them.
type batch struct {
	b    []byte
	offs []int // where each message starts
}

// begin starts a message of type typ with flags (NLM_F_REQUEST is added)
// and its fixed header hdr.
func (bt *batch) begin(typ, flags uint16, hdr ...byte) {
	bt.offs = append(bt.offs, len(bt.b))
	var h [unix.NLMSG_HDRLEN]byte
	native.PutUint16(h[4:], typ)
	native.PutUint16(h[6:], flags|unix.NLM_F_REQUEST)
	bt.b = append(bt.b, h[:]...)
	bt.b = append(bt.b, hdr...)
	bt.pad()
}

// attr appends an attribute to the current message.
func (bt *batch) attr(typ uint16, data []byte) {
	var h [unix.SizeofRtAttr]byte
	native.PutUint16(h[0:], uint16(unix.SizeofRtAttr+len(data)))
	native.PutUint16(h[2:], typ)
	bt.b = append(bt.b, h[:]...)
	bt.b = append(bt.b, data...)
	bt.pad()
}

func (bt *batch) u32(typ uint16, v uint32) {
	var b [4]byte
	native.PutUint32(b[:], v)
	bt.attr(typ, b[:])
}

func (bt *batch) addr(typ uint16, a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		bt.attr(typ, b[:])
		return
	}
	b := a.As16()
	bt.attr(typ, b[:])
}

// reset empties bt, keeping its memory for the next messages.
func (bt *batch) reset() {
	bt.b, bt.offs = bt.b[:0], bt.offs[:0]
}

// pad aligns the buffer and sets the current message's length.
func (bt *batch) pad() {
	for len(bt.b)%unix.NLMSG_ALIGNTO != 0 {
		bt.b = append(bt.b, 0)
	}
	start := bt.offs[len(bt.offs)-1]
	native.PutUint32(bt.b[start:], uint32(len(bt.b)-start))
}

// len is the number of messages.
func (bt *batch) len() int { return len(bt.offs) }

// msgs returns the bytes of messages [i, j).
func (bt *batch) msgs(i, j int) []byte {
	end := len(bt.b)
	if j < len(bt.offs) {
		end = bt.offs[j]
	}
	return bt.b[bt.offs[i]:end]
}

// attrs calls f with each attribute of b, a run of rtattrs, until f
// returns false or b ends.
func attrs(b []byte, f func(typ uint16, v []byte) bool) {
	for len(b) >= unix.SizeofRtAttr {
		n := int(native.Uint16(b[0:]))
		if n < unix.SizeofRtAttr || n > len(b) {
			return
		}
		if !f(native.Uint16(b[2:])&^unix.NLA_F_NESTED, b[unix.SizeofRtAttr:n]) {
			return
		}
		n = (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1)
		if n > len(b) {
			return
		}
		b = b[n:]
	}
}

// ipAttr reads an address attribute; ok is false if it has no address's
// length.
func ipAttr(v []byte) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(v)
	return a.Unmap(), ok && (len(v) == 4 || len(v) == 16)
}

func u32Attr(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return native.Uint32(v)
}

// family is the address family of a.
func family(a netip.Addr) byte {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// kernelError is an errno and the kernel's message about it (extended ack).
type kernelError struct {
	errno unix.Errno
	msg   string
}

func (e *kernelError) Error() string { return e.errno.Error() + " (" + e.msg + ")" }
func (e *kernelError) Unwrap() error { return e.errno }

// ackError reads the payload of an NLMSG_ERROR (or NLMSG_DONE): nil for an
// ack, else the errno with the kernel's message if it sent one.
func ackError(h header, p []byte) error {
	if len(p) < 4 {
		return nil
	}
	code := int32(native.Uint32(p))
	if code >= 0 {
		return nil
	}
	errno := unix.Errno(-code)
	off := 4 + unix.NLMSG_HDRLEN // the request's header (capped: nothing more)
	if h.flags&unix.NLM_F_ACK_TLVS == 0 || len(p) < off || h.typ != unix.NLMSG_ERROR {
		return errno
	}
	if h.flags&unix.NLM_F_CAPPED == 0 {
		off = 4 + int(native.Uint32(p[4:]))
	}
	var msg string
	if off <= len(p) {
		attrs(p[off:], func(typ uint16, v []byte) bool {
			if typ == unix.NLMSGERR_ATTR_MSG {
				msg = strings.TrimRight(string(v), "\x00")
			}
			return msg == ""
		})
	}
	if msg == "" {
		return errno
	}
	return &kernelError{errno, msg}
}

// errIs reports whether err is one of errnos.
func errIs(err error, errnos ...unix.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
