package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/session"
)

// passOptions are the flags of the commands that make the routes match the
// config, in passes: apply (one) and watch (one per change).
type passOptions struct {
	source      sourceOptions
	wait        time.Duration
	force       bool
	metricsFile string
	lock        session.Lock
}

// flags are the config source's flags, --networkd-dropin, --wait,
// --force, --metrics-file, then extra (the command's own), then the lock's.
// waitUsage says what --wait waits for; metricsWhen when the textfile is
// written.
func (o *passOptions) flags(waitUsage, metricsWhen string, extra ...cli.Flag) []cli.Flag {
	fs := append(o.source.flags(), dropInFlag(&o.source.dropIns, dropInUsage),
		&cli.DurationFlag{Name: "wait", Value: 30 * time.Second, Destination: &o.wait, Usage: waitUsage},
		&cli.BoolFlag{Name: "force", Destination: &o.force,
			Usage: "take over destinations another owner's route holds (delete theirs, add ours); as force: true in the config"},
		&cli.StringFlag{Name: "metrics-file", Destination: &o.metricsFile,
			Usage: "write Prometheus metrics to `FILE` " + metricsWhen + ", atomically, for node_exporter's textfile collector; " +
				`"` + metrics.Auto + `": ` + metrics.AutoPath + " if its directory exists, else none"},
	)
	return append(append(fs, extra...), lockFlags(&o.lock)...)
}

// pass is a started apply or watch (session.Pass), and its metrics.
type pass struct {
	*session.Pass
	cmd string // "apply" or "watch", for messages
	m   *metrics.Metrics
}

// start checks the flags, then opens the metrics (watch's if watching),
// the config source and the pass (session.Start), as apply and watch do
// first. A config source refused is counted in the metrics unless dryRun
// (then stdout gets what would change in the drop-in directory, and the
// source waits for no address). The errors are exit errors; End releases
// what start took.
func (o *passOptions) start(ctx context.Context, stdout, stderr io.Writer, watching, dryRun bool) (*pass, error) {
	if o.wait < 0 {
		return nil, inputError(fmt.Errorf("--wait %s: want a duration of 0 or more", o.wait))
	}
	if err := validLock(o.lock); err != nil {
		return nil, err
	}
	cmd := "apply"
	if watching {
		cmd = "watch"
	}
	if !dryRun {
		if err := mayChangeRoutes(cmd); err != nil {
			return nil, err
		}
	}
	m, err := newMetrics(o.metricsFile, watching, stderr)
	if err != nil {
		return nil, err
	}
	src, err := o.source.open()
	if err != nil {
		if !dryRun {
			m.Refused()
		}
		return nil, report(err)
	}
	po := session.PassOptions{DropIns: o.source.dropIns, Wait: o.wait, Metrics: m}
	if dryRun {
		po.DryRun = stdout // what it would do to the drop-in, before the routes
	}
	p, err := session.Start(ctx, stderr, src, po)
	if err != nil {
		return nil, report(failure(err))
	}
	return &pass{Pass: p, cmd: cmd, m: m}, nil
}

// first and reload load the config (session.Pass.First, Reload); the
// errors are exit errors.
func (p *pass) first() (config.Config, error) {
	cfg, err := p.First()
	return cfg, sourceError(err)
}

func (p *pass) reload() (config.Config, error) {
	cfg, err := p.Reload()
	return cfg, sourceError(err)
}

// exit is the exit error of the command for err, reported to systemd: a
// config refused is bad input, named by its source; any other error a
// failure.
func (p *pass) exit(err error) error {
	switch {
	case err == nil:
		return nil
	case apply.IsRefused(err):
		return report(inputError(fmt.Errorf("%s: %w", p.Src.Path(), err)))
	}
	return report(failed(p.cmd, err))
}

// failed is the failure (exit 1) of podroutes cmd: err's problems, the
// first diag.Listed of them listed (an uplink still down after --wait is
// one a route), the rest counted.
func failed(cmd string, err error) error {
	return failure(fmt.Errorf("podroutes %s: %w", cmd, diag.Brief(err)))
}
