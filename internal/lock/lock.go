// Package lock serializes the podroutes processes that change routes (the
// boot unit, watch and an admin's apply or remove) with an flock(2) on a file
// under /run, one for each network namespace (InNetns). A second process waits a bounded time and can say who holds
// the lock.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultPath is the lock podroutes takes, keyed by the network namespace
// (InNetns). podroutes.service creates /run/podroutes with
// RuntimeDirectory=; a manual run creates it as needed.
const DefaultPath = "/run/podroutes/lock"

// netnsPath is the calling thread's network namespace; a variable for
// tests.
var netnsPath = "/proc/thread-self/ns/net"

// InNetns is path keyed by the network namespace the calling thread is
// in, its inode number inserted before the extension:
// /run/podroutes/watch.lock is /run/podroutes/watch-4026531840.lock in the
// namespace whose inode that is. Routes, and the processes that change
// them, meet only within one namespace, while /run may be shared by many
// (hosts of a lab in namespaces of one machine, containers): a lock keyed
// so serializes those that would meet, and no others. The inode names a
// namespace uniquely on the machine while it lives. When it cannot be read
// (no /proc), InNetns fails rather than guess: a lock of another name
// would exclude nothing.
func InNetns(path string) (string, error) {
	fi, err := os.Stat(netnsPath)
	if err != nil {
		return "", fmt.Errorf("naming this network namespace for the lock: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("naming this network namespace for the lock: no inode for %s", netnsPath)
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), st.Ino, ext), nil
}

// poll is how often a waiter retries. flock(2) has no timeout of its own.
const poll = 20 * time.Millisecond

// Lock is a held lock; Release frees it (so does the process exiting).
type Lock struct {
	f *os.File
}

// ErrTimeout is returned (wrapped) when the lock stays held for the whole wait.
var ErrTimeout = errors.New("timed out waiting for the lock")

// Acquire takes the lock at path, waiting at most wait. If it is held when
// Acquire starts, waiting is called once with a description of the holder
// (e.g. "pid 1234") so the caller can say why it waits.
func Acquire(ctx context.Context, path string, wait time.Duration, waiting func(holder string)) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told && waiting != nil {
			waiting(Holder(path))
			told = true
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s is held by %s after waiting %s: %w", path, Holder(path), wait, ErrTimeout)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(poll):
		}
	}
	// Record the holder for whoever waits next; the lock is the flock, not
	// the content, so a failure here only costs the description.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release frees the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// Holder describes the process that last took the lock at path, as
// "pid N (COMMAND)", or "another process" when it cannot tell.
func Holder(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "another process"
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return "another process"
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return fmt.Sprintf("pid %d", pid)
	}
	return fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(comm)))
}
