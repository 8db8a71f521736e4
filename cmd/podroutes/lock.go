package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/session"
)

// lockFlags are --lock (hidden: tests and unusual setups) and --lock-wait:
// where apply, remove and watch serialize (lock.Pass, lock.OnlyWatcher),
// and how long they wait for each other.
func lockFlags(o *session.Lock) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "lock", Value: lock.DefaultPath, EnvVars: []string{lock.Env}, Destination: &o.Path,
			Hidden: true, Usage: "serialize route changes on the lock `FILE` (the default is keyed by the network namespace: " +
				lock.DefaultPath + "-INO; a FILE given is taken as it is)"},
		&cli.DurationFlag{Name: "lock-wait", Value: 30 * time.Second, Destination: &o.Wait,
			Usage: "wait up to `DURATION` for another podroutes apply, remove or watch pass to finish"},
	}
}

// validLock refuses a negative --lock-wait.
func validLock(o session.Lock) error {
	if o.Wait < 0 {
		return inputError(fmt.Errorf("--lock-wait %s: want a duration of 0 or more", o.Wait))
	}
	return nil
}
