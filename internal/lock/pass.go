package lock

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/podroutes/podroutes/internal/logs"
)

// Env names the pass lock in the environment, as apply's, remove's and
// watch's hidden --lock does: tests and labs give each run a lock of its
// own.
const Env = "PODROUTES_LOCK"

// PassPath is the lock each pass of apply, remove and watch takes, for
// path (--lock, PODROUTES_LOCK): DefaultPath is keyed by the network
// namespace (InNetns); a path given is the lock as it is, whoever names
// the same file taking turns with the others that do, in any namespace.
func PassPath(path string) (string, error) {
	if path != DefaultPath {
		return path, nil
	}
	return InNetns(path)
}

// Pass takes the pass lock for path (PassPath), waiting at most wait and
// saying on log whom it waits for.
func Pass(ctx context.Context, path string, wait time.Duration, log logs.Logger) (*Lock, error) {
	path, err := PassPath(path)
	if err != nil {
		return nil, fmt.Errorf("taking the lock: %w", err)
	}
	l, err := Acquire(ctx, path, wait, func(holder string) {
		log.Infof("waiting for %s holding %s", holder, path)
	})
	if err != nil {
		return nil, fmt.Errorf("taking the lock: %w", err)
	}
	return l, nil
}

// OnlyWatcher takes, for the whole life of a watch, a second lock beside
// the pass lock path: two watchers whose configs differ would undo each
// other's routes forever, so the second refuses to start, naming the
// first. Only two in one network namespace would: it is keyed by the
// namespace, even beside a pass lock given as a file.
func OnlyWatcher(ctx context.Context, path string) (*Lock, error) {
	path, err := InNetns(filepath.Join(filepath.Dir(path), "watch.lock"))
	if err != nil {
		return nil, fmt.Errorf("taking the watch lock: %w", err)
	}
	l, err := Acquire(ctx, path, 0, nil)
	switch {
	case errors.Is(err, ErrTimeout):
		return nil, fmt.Errorf("another podroutes watch is running (%s): two watchers would undo each other's routes; stop it first (systemctl stop podroutes-watch)",
			Holder(path))
	case err != nil:
		return nil, fmt.Errorf("taking the watch lock: %w", err)
	}
	return l, nil
}
