package main

import (
	"context"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/notify"
)

type watchOptions struct {
	passOptions
	debounce       time.Duration
	resync         time.Duration
	metricsAddress string
}

// watchCommand is `podroutes watch`, the daemon of podroutes-watch.service.
func watchCommand() *cli.Command {
	var o watchOptions
	return command("watch", "apply, then keep the routes in place as links, addresses and routes change (podroutes-watch.service)",
		o.flags("at start, wait up to `DURATION` for a link and address that reach each gateway "+
			"(with --kubeconfig, and for the first list of Nodes before READY=1)",
			"after each pass and heal",
			&cli.DurationFlag{Name: "resync", Value: watch.DefaultResync, Destination: &o.resync,
				Usage: "re-apply every `DURATION` even without events"},
			&cli.DurationFlag{Name: "debounce", Value: watch.DefaultDebounce, Destination: &o.debounce, Hidden: true,
				Usage: "re-apply at most `DURATION` after the first event of a burst (sooner when the events pause for 5ms)"},
			&cli.StringFlag{Name: "metrics-address", EnvVars: []string{metrics.EnvAddress}, Destination: &o.metricsAddress,
				Usage: "serve Prometheus metrics at http://`HOST:PORT`/metrics (off by default; :PORT for every address)"}),
		func(c *cli.Context) error { return runWatch(c.Context, c.App.ErrWriter, o) })
}

func runWatch(ctx context.Context, stderr io.Writer, o watchOptions) error {
	if err := watch.CheckIntervals(o.resync, o.debounce); err != nil {
		return inputError(err)
	}
	if err := metrics.CheckAddress(o.metricsAddress); err != nil {
		return inputError(err)
	}
	p, err := o.start(ctx, nil, stderr, true, false)
	if err != nil {
		return err
	}
	defer p.End()
	// From the start: with --kubeconfig, READY=1 may go out while the Nodes
	// are still awaited, and a reload then must not end the process (Go's
	// default for SIGHUP); one that comes before watching starts is a
	// reload at its start.
	reload := watch.Hangups(p.Ctx)
	// Before the Nodes are listed, which may take long: a second watcher
	// says so at once.
	one, err := lock.OnlyWatcher(p.Ctx, o.lock.Path)
	if err != nil {
		return report(failure(err))
	}
	defer one.Release()
	interval, err := notify.WatchdogInterval()
	if err != nil {
		p.Log.Warnf("%v; sending no watchdog pings", err)
	}
	updates, replan, err := p.Src.Follow(p.Ctx, p.Host, interval, o.wait)
	err = sourceError(err)
	switch {
	case err != nil && p.Ctx.Err() != nil:
		p.Log.Infof("stopped before the Nodes were listed; the routes stay as they are")
		return nil
	case err != nil:
		return report(err)
	}
	cfg, err := p.first()
	if err != nil {
		return report(err)
	}
	if o.metricsAddress != "" {
		addr, err := p.m.Serve(p.Ctx, o.metricsAddress)
		if err != nil {
			return p.exit(err)
		}
		p.Log.Infof("serving metrics at http://%s/metrics", addr)
	}
	err = watch.Run(p.Ctx, p.K, cfg, watch.Options{
		Wait: o.wait, Debounce: o.debounce, Resync: o.resync, Watchdog: interval, Force: o.force,
		Reload:   reload,
		Updates:  updates,
		Replan:   replan,
		Load:     p.reload, // finds this host at once, or says why not
		Lock:     o.lock.ForPass(p.Log),
		Observer: p.m,
		Log:      p.Log, Notify: notify.Systemd{}, Hostname: p.Hostname, LeaveOut: p.Src.PerNode(), Node: o.source.Node, Keep: p.Src.Keep(),
	})
	if err != nil {
		return p.exit(err)
	}
	p.Log.Infof("stopped watching; the routes stay in place")
	return nil
}
