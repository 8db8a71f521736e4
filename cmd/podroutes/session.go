package main

import (
	"context"
	"errors"
	"io"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/notify"
)

// session is what apply, remove and watch program routes with: a context
// that SIGINT and SIGTERM cancel, a logger, the lock if taken, the kernel.
type session struct {
	ctx  context.Context
	log  *notify.Logger
	k    *kernel.Kernel
	l    *lock.Lock // nil: none taken
	stop context.CancelFunc
}

// begin starts a session, taking the lock lo names unless lo is nil, on
// a kernel opened with ko (and the session's log). The errors are exit
// errors; end releases what begin took.
func begin(ctx context.Context, stderr io.Writer, lo *lockOptions, ko kernel.Options) (*session, error) {
	s := &session{log: notify.NewLogger(stderr)}
	s.ctx, s.stop = signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	if lo != nil {
		l, err := lo.acquire(s.ctx, s.log)
		if err != nil {
			s.end()
			return nil, err
		}
		s.l = l
	}
	ko.Log = s.log
	k, err := kernel.OpenWith(ko)
	if err != nil {
		s.end()
		return nil, failure(err)
	}
	s.k = k
	return s, nil
}

// end closes the kernel, releases the lock and stops catching signals.
func (s *session) end() {
	if s.k != nil {
		s.k.Close()
	}
	if s.l != nil {
		s.l.Release()
	}
	s.stop()
}

// mayChangeRoutes is nil when this process may change routes: it has
// CAP_NET_ADMIN (root has it; podroutes.service keeps only it), or the
// kernel will not say. Otherwise it is the failure to exit with, before
// anything is read, locked or written: without it the lock under /run is
// not for it, and every write fails alike (the first, a nexthop object,
// looking like a kernel without them).
func mayChangeRoutes(cmd string) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // capabilities 0-31 and 32-63
	if err := unix.Capget(&hdr, &data[0]); err != nil || data[0].Effective&(1<<unix.CAP_NET_ADMIN) != 0 {
		return nil
	}
	return failed(cmd, errors.New("changing routes needs CAP_NET_ADMIN, which this process does not have: "+
		"run podroutes as root (sudo), or through podroutes.service"))
}
