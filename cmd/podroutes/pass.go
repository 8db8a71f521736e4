package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/source"
)

// passOptions are the flags of the commands that make the routes match the
// config, in passes: apply (one) and watch (one per change).
type passOptions struct {
	source      sourceOptions
	wait        time.Duration
	force       bool
	metricsFile string
	lock        lockOptions
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

// pass is a started apply or watch: its session, metrics and config
// source, the host the source looks at, and where the drop-in goes.
type pass struct {
	*session
	cmd  string // "apply" or "watch", for messages
	m    *metrics.Metrics
	src  *source.Source
	host source.Host
	// dropIns is --networkd-dropin; dryRun, if set (apply --dry-run),
	// gets what a load would change in it, which it leaves as it is.
	dropIns string
	dryRun  io.Writer
}

// start checks the flags, then opens the metrics (watch's if watching),
// the config source and the session, as apply and watch do first. A
// config source refused is counted in the metrics unless dryRun (then
// stdout gets what would change in the drop-in directory, and the source
// waits for no address). The errors are exit errors; end releases what
// start took.
func (o *passOptions) start(ctx context.Context, stdout, stderr io.Writer, watching, dryRun bool) (*pass, error) {
	if o.wait < 0 {
		return nil, inputError(fmt.Errorf("--wait %s: want a duration of 0 or more", o.wait))
	}
	if err := o.lock.validate(); err != nil {
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
	// Each pass takes the lock; a dry run takes none.
	ko, why := o.source.kernelOptions()
	s, err := begin(ctx, stderr, nil, ko)
	if err != nil {
		return nil, report(err)
	}
	if why != "" {
		s.log.Infof("%s", why)
	}
	if note := networkd.NoneWritten(o.source.dropIns, src.Path(), src.Routes()); note != "" {
		s.log.Infof("%s", note)
	}
	p := &pass{session: s, cmd: cmd, m: m, src: src, dropIns: o.source.dropIns,
		host: source.Host{Local: source.Local(s.k), Log: s.log}}
	if dryRun {
		p.dryRun = stdout // what it would do to the drop-in, before the routes
	} else {
		p.host.Wait, p.host.Changes, p.host.Metrics = o.wait, s.k.Subscribe, m
	}
	return p, nil
}

// first loads the config as the pass starts (source.First), reload at a
// reload (SIGHUP).
func (p *pass) first() (config.Config, error)  { return p.load(p.src.First) }
func (p *pass) reload() (config.Config, error) { return p.load(p.src.Reload) }

// load loads the config, as apply and watch do at each (re)load, installs
// this host's networkd drop-in when asked (from an inventory), and warns
// of each route of a podroutes networkd drop-in that disagrees with it
// (Source.Drift; check counts them as drift): networkd would make those at
// its next configure of the link, whatever the pass makes now.
func (p *pass) load(get func(context.Context, source.Host) (plan.Node, error)) (config.Config, error) {
	n, err := get(p.ctx, p.host)
	err = sourceError(err)
	if err == nil && p.dropIns != "" && !p.src.Routes() {
		err = networkd.UpdateOrPrint(p.log, p.dropIns, n.Config, n.NetworkFile, p.src.Path(), p.dryRun)
	}
	if err == nil {
		for _, d := range p.src.Drift(n.Config) {
			p.log.Warnf("%s", d)
		}
	}
	return n.Config, err
}

// exit is the exit error of the command for err, reported to systemd: a
// config refused is bad input, named by its source; any other error a
// failure.
func (p *pass) exit(err error) error {
	switch {
	case err == nil:
		return nil
	case apply.IsRefused(err):
		return report(inputError(fmt.Errorf("%s: %w", p.src.Path(), err)))
	}
	return report(failed(p.cmd, err))
}

// failed is the failure (exit 1) of podroutes cmd: err's problems, the
// first diag.Listed of them listed (an uplink still down after --wait is
// one a route), the rest counted.
func failed(cmd string, err error) error {
	return failure(fmt.Errorf("podroutes %s: %w", cmd, diag.Brief(err)))
}
