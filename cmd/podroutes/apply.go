package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/config"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/notify"
)

// configFlag is --config, shared by apply, check and remove.
func configFlag(path *string) cli.Flag {
	return &cli.StringFlag{Name: "config", Aliases: []string{"c"}, Value: config.DefaultPath, Destination: path,
		Usage: "routes `FILE` (root-owned, not group- or world-writable)"}
}

type applyOptions struct {
	config string
	dryRun bool
	wait   time.Duration
	force  bool
}

func applyCommand() *cli.Command {
	var o applyOptions
	return &cli.Command{
		Name:  "apply",
		Usage: "make this host's routes match the config (what the service runs at boot)",
		Description: "Adds the missing routes, replaces podroutes' routes that differ, deletes podroutes'\n" +
			"routes the config no longer wants; leaves routes of other owners alone, and a\n" +
			"destination another owner holds is an error unless --force. Exit status: 0 routes\n" +
			"in place, 1 some route failed or conflicts, 2 bad or unsafe config.",
		Flags: []cli.Flag{
			configFlag(&o.config),
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Destination: &o.dryRun,
				Usage: "print what apply would change, change nothing (and do not wait)"},
			&cli.DurationFlag{Name: "wait", Value: 30 * time.Second, Destination: &o.wait,
				Usage: "wait up to `DURATION` for a link and address that reach each gateway (boot: the uplink may be late); 0 does not wait"},
			&cli.BoolFlag{Name: "force", Destination: &o.force,
				Usage: "take over destinations another owner's route holds (delete theirs, add ours); as force: true in the config"},
		},
		Action: func(c *cli.Context) error { return runApply(c.Context, c.App.Writer, c.App.ErrWriter, o) },
	}
}

func runApply(ctx context.Context, stdout, stderr io.Writer, o applyOptions) error {
	if o.wait < 0 {
		return inputError(fmt.Errorf("--wait %s: want a duration of 0 or more", o.wait))
	}
	cfg, err := loadConfig(o.config)
	if err != nil {
		return report(err)
	}
	k, err := kernel.Open()
	if err != nil {
		return report(failure(err))
	}
	defer k.Close()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := notify.NewLogger(stderr)
	res, err := apply.Apply(ctx, k, cfg, apply.Options{
		DryRun: o.dryRun, Out: stdout, Wait: o.wait, Force: o.force, Log: log,
	})
	switch {
	case apply.IsRefused(err):
		return report(inputError(fmt.Errorf("%s: %w", o.config, err)))
	case o.dryRun && err != nil:
		return failure(fmt.Errorf("podroutes apply: %w", err))
	case o.dryRun:
		return nil
	}
	log.Infof("%s", res.Status())
	if err != nil {
		return report(failure(fmt.Errorf("podroutes apply: %w", err)))
	}
	if err := notify.Ready(res.Status()); err != nil {
		return failure(fmt.Errorf("notifying systemd: %w", err))
	}
	return nil
}

// report tells systemd (if it listens) why the command failed, with the
// errno the error carries, and returns err.
func report(err error) error {
	var errno syscall.Errno
	var ee *exitError
	switch {
	case errors.As(err, &errno):
	case errors.As(err, &ee) && ee.code == exitInput:
		errno = syscall.EINVAL
	default:
		errno = syscall.EIO
	}
	// The error is reported on stderr anyway; a notify failure adds nothing.
	_ = notify.Failed(err.Error(), int(errno))
	return err
}

type checkOptions struct {
	config string
}

func checkCommand() *cli.Command {
	var o checkOptions
	return &cli.Command{
		Name:  "check",
		Usage: "print every configured route and its state; read-only",
		Description: "States: in place, missing, different gateway (metric, device), held by another\n" +
			"owner, stale (podroutes' route the config no longer wants).\n" +
			"Exit status: 0 in sync, 1 any drift, 2 bad config.",
		Flags:  []cli.Flag{configFlag(&o.config)},
		Action: func(c *cli.Context) error { return runCheck(c.Context, c.App.Writer, o) },
	}
}

func runCheck(ctx context.Context, stdout io.Writer, o checkOptions) error {
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	k, err := kernel.Open()
	if err != nil {
		return failure(err)
	}
	defer k.Close()
	inSync, err := apply.Check(ctx, k, cfg, stdout)
	if err != nil {
		return failure(fmt.Errorf("podroutes check: %w", err))
	}
	if !inSync {
		return failure(errors.New("podroutes check: routes differ from " + o.config))
	}
	return nil
}

type removeOptions struct {
	config string
	all    bool
}

func removeCommand() *cli.Command {
	var o removeOptions
	return &cli.Command{
		Name:  "remove",
		Usage: "delete the routes podroutes installed for the config (what stopping the service runs)",
		Description: "Deletes podroutes' routes (protocol podroutes, main table) to the config's\n" +
			"destinations; with --all every route podroutes owns, no config needed. Routes of\n" +
			"other owners stay. A route already gone is fine. Exit status: 0 done, 1 a delete\n" +
			"failed, 2 bad config.",
		Flags: []cli.Flag{
			configFlag(&o.config),
			&cli.BoolFlag{Name: "all", Destination: &o.all,
				Usage: "delete every route podroutes owns, whatever the config says"},
		},
		Action: func(c *cli.Context) error {
			if o.all && c.IsSet("config") {
				return inputError(errors.New("--all and --config exclude each other"))
			}
			return runRemove(c.Context, c.App.ErrWriter, o)
		},
	}
}

func runRemove(ctx context.Context, stderr io.Writer, o removeOptions) error {
	var cfg *config.Config
	if !o.all {
		c, err := loadConfig(o.config)
		if err != nil {
			return err
		}
		cfg = &c
	}
	k, err := kernel.Open()
	if err != nil {
		return failure(err)
	}
	defer k.Close()
	if _, err := apply.Remove(ctx, k, cfg, notify.NewLogger(stderr)); err != nil {
		return failure(fmt.Errorf("podroutes remove: %w", err))
	}
	return nil
}

// loadConfig loads the config; every problem with it is bad input.
func loadConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return config.Config{}, inputError(err)
	}
	return cfg, nil
}
