package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/notify"
)

// lockOptions is where apply, remove and watch serialize (lock.PassPath,
// lock.OnlyWatcher), and how long they wait for each other.
type lockOptions struct {
	path string
	wait time.Duration
}

// lockFlags are --lock (hidden: tests and unusual setups) and --lock-wait.
func lockFlags(o *lockOptions) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "lock", Value: lock.DefaultPath, EnvVars: []string{lock.Env}, Destination: &o.path,
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

// acquire takes the pass lock (lock.Pass), saying on log whom it waits for.
func (o lockOptions) acquire(ctx context.Context, log *notify.Logger) (*lock.Lock, error) {
	l, err := lock.Pass(ctx, o.path, o.wait, log)
	if err != nil {
		return nil, failure(err)
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
