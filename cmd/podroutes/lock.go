package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/notify"
)

// lockOptions is where apply, remove and watch serialize, and how long they
// wait for each other. The locks are keyed by the network namespace
// (lock.InNetns): the default, /run/podroutes/lock-INO, and the watch lock,
// watch-INO.lock beside the pass lock. A path given (--lock,
// PODROUTES_LOCK) is the pass lock as it is: whoever names the same file
// takes turns with the others that do, in any namespace.
type lockOptions struct {
	path string
	wait time.Duration
}

// passPath is the lock each pass takes.
func (o lockOptions) passPath() (string, error) {
	if o.path != lock.DefaultPath {
		return o.path, nil
	}
	return lock.InNetns(o.path)
}

// envLock names the pass lock, as the hidden --lock does.
const envLock = "PODROUTES_LOCK"

// lockFlags are --lock (hidden: tests and unusual setups) and --lock-wait.
func lockFlags(o *lockOptions) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "lock", Value: lock.DefaultPath, EnvVars: []string{envLock}, Destination: &o.path,
			Hidden: true, Usage: "serialize route changes on the lock `FILE` (the default is keyed by the network namespace: " +
				lock.DefaultPath + "-INO; a FILE given is taken as it is)"},
		&cli.DurationFlag{Name: "lock-wait", Value: 30 * time.Second, Destination: &o.wait,
			Usage: "wait up to `DURATION` for another podroutes apply, remove or watch pass to finish"},
	}
}

func (o lockOptions) validate() error {
	if o.wait < 0 {
		return inputError(fmt.Errorf("--lock-wait %s: want a duration of 0 or more", o.wait))
	}
	return nil
}

// acquire takes the lock, saying on log whom it waits for.
func (o lockOptions) acquire(ctx context.Context, log *notify.Logger) (*lock.Lock, error) {
	path, err := o.passPath()
	if err != nil {
		return nil, failure(fmt.Errorf("taking the lock: %w", err))
	}
	l, err := lock.Acquire(ctx, path, o.wait, func(holder string) {
		log.Infof("waiting for %s holding %s", holder, path)
	})
	if err != nil {
		return nil, failure(fmt.Errorf("taking the lock: %w", err))
	}
	return l, nil
}

// forPass is an apply.Options.Lock: the lock for one pass, logging whom
// it waits for.
func (o lockOptions) forPass(log *notify.Logger) func(context.Context) (func(), error) {
	return func(ctx context.Context) (func(), error) {
		l, err := o.acquire(ctx, log)
		if err != nil {
			return nil, err
		}
		return func() { l.Release() }, nil
	}
}

// onlyWatcher takes, for the whole life of a watch, a second lock beside
// the first: two watchers whose configs differ would undo each other's
// routes forever, so the second refuses to start, naming the first. Only
// two in one network namespace would: it is keyed by the namespace, even
// beside a pass lock given as a file.
func (o lockOptions) onlyWatcher(ctx context.Context) (*lock.Lock, error) {
	path, err := lock.InNetns(filepath.Join(filepath.Dir(o.path), "watch.lock"))
	if err != nil {
		return nil, failure(fmt.Errorf("taking the watch lock: %w", err))
	}
	l, err := lock.Acquire(ctx, path, 0, nil)
	switch {
	case errors.Is(err, lock.ErrTimeout):
		return nil, failure(fmt.Errorf("another podroutes watch is running (%s): two watchers would undo each other's routes; stop it first (systemctl stop podroutes-watch)",
			lock.Holder(path)))
	case err != nil:
		return nil, failure(fmt.Errorf("taking the watch lock: %w", err))
	}
	return l, nil
}
