// Package session is what apply, check, remove and watch program routes
// in: a context that SIGINT and SIGTERM cancel, the logger, the pass lock
// when taken, the kernel; for apply and watch, a pass (Start): the config
// source, the host it looks at, and this host's networkd drop-in, loaded
// with each config. Its errors are plain: the command says what exit code
// each is.
package session

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/notify"
)

// Session is a started session; End releases what Begin took.
type Session struct {
	Ctx context.Context
	Log *notify.Logger
	K   *kernel.Kernel
	// Hostname is this host's name, "" when it cannot be read (messages
	// then leave it out).
	Hostname string
	l        *lock.Lock // nil: none taken
	stop     context.CancelFunc
}

// Lock is the pass lock a session takes (lock.Pass): its path and how long
// to wait for it.
type Lock struct {
	Path string
	Wait time.Duration
}

// ForPass is an apply.Options.Lock: the lock for one pass (lock.Pass),
// saying on log whom it waits for.
func (lk Lock) ForPass(log *notify.Logger) func(context.Context) (func(), error) {
	return func(ctx context.Context) (func(), error) {
		l, err := lock.Pass(ctx, lk.Path, lk.Wait, log)
		if err != nil {
			return nil, err
		}
		return func() { l.Release() }, nil
	}
}

// Begin starts a session, logging to stderr, taking the lock lk names
// unless lk is nil, on a kernel opened with ko (and the session's log).
func Begin(ctx context.Context, stderr io.Writer, lk *Lock, ko kernel.Options) (*Session, error) {
	s := &Session{Log: notify.NewLogger(stderr)}
	s.Hostname, _ = os.Hostname()
	s.Ctx, s.stop = signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	if lk != nil {
		l, err := lock.Pass(s.Ctx, lk.Path, lk.Wait, s.Log)
		if err != nil {
			s.End()
			return nil, err
		}
		s.l = l
	}
	ko.Log = s.Log
	k, err := kernel.OpenWith(ko)
	if err != nil {
		s.End()
		return nil, err
	}
	s.K = k
	return s, nil
}

// End closes the kernel, releases the lock and stops catching signals.
func (s *Session) End() {
	if s.K != nil {
		s.K.Close()
	}
	if s.l != nil {
		s.l.Release()
	}
	s.stop()
}

// ErrNoNetAdmin is MayChangeRoutes' refusal.
var ErrNoNetAdmin = errors.New("changing routes needs CAP_NET_ADMIN, which this process does not have: " +
	"run podroutes as root (sudo), or through podroutes.service")

// MayChangeRoutes is nil when this process may change routes: it has
// CAP_NET_ADMIN (root has it; podroutes.service keeps only it), or the
// kernel will not say. Otherwise it is ErrNoNetAdmin, to fail with before
// anything is read, locked or written: without it the lock under /run is
// not for it, and every write fails alike (the first, a nexthop object,
// looking like a kernel without them).
func MayChangeRoutes() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // capabilities 0-31 and 32-63
	if err := unix.Capget(&hdr, &data[0]); err != nil || data[0].Effective&(1<<unix.CAP_NET_ADMIN) != 0 {
		return nil
	}
	return ErrNoNetAdmin
}
