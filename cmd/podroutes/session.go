package main

import (
	"context"
	"io"
	"net/netip"
	"os/signal"
	"syscall"

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

// localAddrs are this host's addresses (see localAddrs).
func (s *session) localAddrs() ([]netip.Addr, error) { return localAddrs(s.k) }
