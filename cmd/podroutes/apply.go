package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/notify"
	"github.com/podroutes/podroutes/internal/session"
)

type applyOptions struct {
	passOptions
	dryRun bool
}

// applyCommand is `podroutes apply`, what podroutes.service runs at boot.
func applyCommand() *cli.Command {
	var o applyOptions
	return command("apply", "make this host's routes match the config (what the service runs at boot)",
		o.flags("wait up to `DURATION` for a link and address that reach each gateway (boot: the uplink may be late); 0 does not wait",
			"after the pass (not with --dry-run)",
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Destination: &o.dryRun,
				Usage: "print what apply would change (with --networkd-dropin, the drop-in too), change nothing (and do not wait)"}),
		func(c *cli.Context) error { return runApply(c.Context, c.App.Writer, c.App.ErrWriter, o) })
}

func runApply(ctx context.Context, stdout, stderr io.Writer, o applyOptions) error {
	p, err := o.start(ctx, stdout, stderr, false, o.dryRun)
	if err != nil {
		return err
	}
	defer p.End()
	cfg, err := p.first()
	if err != nil {
		return report(err)
	}
	var lock func(context.Context) (func(), error)
	if !o.dryRun {
		lock = o.lock.ForPass(p.Log)
	}
	return p.exit(p.Apply(cfg, apply.Options{
		DryRun: o.dryRun, Out: stdout, Wait: o.wait, Force: o.force, Log: p.Log, Lock: lock, Node: o.source.Node,
	}))
}

// report tells systemd (if it listens) why the command failed, with the
// errno the error carries, and returns err.
func report(err error) error {
	var ee *exitError
	// The error is reported on stderr anyway; a notify failure adds nothing.
	_ = notify.FailedWith(err, errors.As(err, &ee) && ee.code == exitInput)
	return err
}

type checkOptions struct {
	source sourceOptions
	output string
}

// checkCommand is `podroutes check`, the read-only report of each route.
func checkCommand() *cli.Command {
	var o checkOptions
	return command("check", "print every configured route and its state; read-only",
		append(o.source.flags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Destination: &o.output,
				Usage: "`FORMAT` of the report: text (ip route style) or json (JSON Lines: each route's state, wanted route and the kernel's)"},
		),
		func(c *cli.Context) error { return runCheck(c.Context, c.App.Writer, c.App.ErrWriter, o) })
}

func runCheck(ctx context.Context, stdout, stderr io.Writer, o checkOptions) error {
	if o.output != "text" && o.output != "json" {
		return inputError(fmt.Errorf("--output %q: want text or json", o.output))
	}
	src, err := o.source.open()
	if err != nil {
		return err
	}
	// Check writes nothing (no lock), but plans as apply would: with the
	// routes written as apply would write them (inline where networkd
	// installs them too), so that it reports what apply would leave.
	inline, _ := networkd.Inline("")
	s, err := begin(ctx, stderr, nil, kernel.Options{Inline: inline})
	if err != nil {
		return err
	}
	defer s.End()
	err = s.Check(src, session.CheckOptions{Out: stdout, JSON: o.output == "json", Node: o.source.Node})
	var nr *session.NoReport
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nr) && nr.Load:
		return cannotTell(sourceError(nr.Err), o.output, stdout)
	case errors.As(err, &nr):
		return cannotTell(failed("check", nr.Err), o.output, stdout)
	case apply.IsRefused(err):
		return inputError(fmt.Errorf("%s: %w", src.Path(), err))
	}
	return failed("check", err)
}

// cannotTell is check's err when it means check could not tell whether
// the routes are in place (a failure: not bad input, which stays exit 2):
// exit 3, and with --output json the one line {"unknown": "why"}, so that
// a program reading the lines tells it from a report without routes.
func cannotTell(err error, output string, stdout io.Writer) error {
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailure {
		return err
	}
	if output == "json" {
		_ = reconcile.WriteUnknown(stdout, ee.err.Error()) // the exit code says it too
	}
	return &exitError{code: exitUnknown, err: ee.err}
}

type removeOptions struct {
	source  sourceOptions
	all     bool
	dropIns string // --networkd-dropin: where apply wrote its drop-in
	lock    session.Lock
}

// removeCommand is `podroutes remove`, what stopping podroutes.service runs.
func removeCommand() *cli.Command {
	var o removeOptions
	return command("remove", "delete every route podroutes owns (what stopping the service runs)",
		append(append(o.source.flags(),
			&cli.BoolFlag{Name: "all", Destination: &o.all,
				Usage: "delete every route podroutes owns, without reading a config"},
			dropInFlag(&o.dropIns, "first delete the systemd-networkd route drop-ins apply --networkd-dropin wrote into `DIR` "+
				"and have networkd reload, or it puts the routes back at its next reconfigure of the link"),
		), lockFlags(&o.lock)...),
		func(c *cli.Context) error {
			if o.all && (c.IsSet("config") || c.IsSet("inventory") || c.IsSet("kubeconfig")) {
				return inputError(errors.New("--all excludes --config, --inventory and --kubeconfig"))
			}
			return runRemove(c.Context, c.App.ErrWriter, o)
		})
}

func runRemove(ctx context.Context, stderr io.Writer, o removeOptions) error {
	if err := validLock(o.lock); err != nil {
		return err
	}
	if err := mayChangeRoutes("remove"); err != nil {
		return err
	}
	if !o.all {
		// A bad config is refused, as ever; a good one selects nothing: the
		// routes of the config that was applied (it may have been replaced
		// since) are podroutes' own too, and apply would prune them.
		if _, err := o.source.open(); err != nil {
			return err
		}
	}
	s, err := begin(ctx, stderr, &o.lock, kernel.Options{})
	if err != nil {
		return err
	}
	defer s.End()
	if err := s.Remove(o.dropIns); err != nil {
		return failed("remove", err)
	}
	return nil
}
