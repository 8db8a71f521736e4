package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/notify"
)

type watchOptions struct {
	source         sourceOptions
	wait           time.Duration
	force          bool
	debounce       time.Duration
	resync         time.Duration
	metricsFile    string
	metricsAddress string
	lock           lockOptions
}

func watchCommand() *cli.Command {
	var o watchOptions
	return &cli.Command{
		Name:  "watch",
		Usage: "apply, then keep the routes in place as links, addresses and routes change (podroutes-watch.service)",
		Description: "Applies the config, then re-applies within milliseconds of every link, address or\n" +
			"route change the kernel announces (a link flap, `ip route del`, networkctl\n" +
			"reconfigure), and every --resync as a safety net. Problems are logged once each,\n" +
			"and retried. SIGHUP reloads the config (a bad one is reported, the old one kept);\n" +
			"SIGTERM and SIGINT stop watching and leave the routes in place. Exit status: 0\n" +
			"stopped by a signal, 1 watching failed, 2 bad or unsafe config at start.",
		Flags: append(append(o.source.flags(), o.source.dropInFlag(),
			waitFlag(&o.wait, "at start, wait up to `DURATION` for a link and address that reach each gateway "+
				"(with --kubeconfig, and for the first list of Nodes before READY=1)"),
			forceFlag(&o.force),
			&cli.DurationFlag{Name: "resync", Value: watch.DefaultResync, Destination: &o.resync,
				Usage: "re-apply every `DURATION` even without events"},
			&cli.DurationFlag{Name: "debounce", Value: watch.DefaultDebounce, Destination: &o.debounce, Hidden: true,
				Usage: "re-apply at most `DURATION` after the first event of a burst (sooner when the events pause for 5ms)"},
			metricsFileFlag(&o.metricsFile, "after each pass and heal"),
			&cli.StringFlag{Name: "metrics-address", EnvVars: []string{"PODROUTES_METRICS_ADDRESS"}, Destination: &o.metricsAddress,
				Usage: "serve Prometheus metrics at http://`HOST:PORT`/metrics (off by default; :PORT for every address)"},
		), lockFlags(&o.lock)...),
		Action: func(c *cli.Context) error { return runWatch(c.Context, c.App.ErrWriter, o) },
	}
}

func runWatch(ctx context.Context, stderr io.Writer, o watchOptions) error {
	for _, d := range []struct {
		flag string
		v    time.Duration
		min  time.Duration
	}{{"wait", o.wait, 0}, {"resync", o.resync, time.Second}, {"debounce", o.debounce, time.Millisecond}} {
		if d.v < d.min {
			return inputError(fmt.Errorf("--%s %s: want a duration of %s or more", d.flag, d.v, d.min))
		}
	}
	if err := o.lock.validate(); err != nil {
		return err
	}
	if err := checkAddress(o.metricsAddress); err != nil {
		return err
	}
	m, err := newMetrics(o.metricsFile, true, stderr)
	if err != nil {
		return err
	}
	src, err := o.source.open(nil)
	if err != nil {
		m.Refused()
		return report(err)
	}
	s, err := begin(ctx, stderr, nil, o.source.kernelOptions()) // each pass takes the lock
	if err != nil {
		return report(err)
	}
	defer s.end()
	// Before the Nodes are listed, which may take long: a second watcher
	// says so at once.
	one, err := o.lock.onlyWatcher(s.ctx)
	if err != nil {
		return report(err)
	}
	defer one.Release()
	interval, err := notify.WatchdogInterval()
	if err != nil {
		s.log.Warnf("%v; sending no watchdog pings", err)
	}
	src.wait, src.changes, src.metrics = o.wait, s.k.Subscribe, m
	updates, err := src.follow(s.ctx, s.log, interval, o.wait)
	switch {
	case err != nil && s.ctx.Err() != nil:
		s.log.Infof("stopped before the Nodes were listed; the routes stay as they are")
		return nil
	case err != nil:
		return report(err)
	}
	cfg, err := src.load(s.ctx, s.localAddrs, s.log)
	if err != nil {
		return report(err)
	}
	src.wait = 0 // a reload finds this host at once, or says why not
	if o.metricsAddress != "" {
		addr, err := m.Serve(s.ctx, o.metricsAddress)
		if err != nil {
			return report(failure(fmt.Errorf("podroutes watch: %w", err)))
		}
		s.log.Infof("serving metrics at http://%s/metrics", addr)
	}
	err = watch.Run(s.ctx, s.k, cfg, watch.Options{
		Wait: o.wait, Debounce: o.debounce, Resync: o.resync, Watchdog: interval, Force: o.force,
		Reload:   hangups(s.ctx),
		Updates:  updates,
		Load:     func() (config.Config, error) { return src.load(s.ctx, s.localAddrs, s.log) },
		Lock:     o.lock.forPass(s.log),
		Observer: m,
		Log:      s.log, Notify: systemd{}, Hostname: hostname(),
	})
	switch {
	case apply.IsRefused(err):
		return report(inputError(fmt.Errorf("%s: %w", src.path, err)))
	case err != nil:
		return report(failure(fmt.Errorf("podroutes watch: %w", err)))
	}
	s.log.Infof("stopped watching; the routes stay in place")
	return nil
}

// hangups signals each SIGHUP until ctx is done, coalescing those that
// arrive while one is pending.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// systemd is the watch.Notifier that talks to systemd.
type systemd struct{}

func (systemd) Ready(status string) error  { return notify.Ready(status) }
func (systemd) Status(status string) error { return notify.Status(status) }
func (systemd) Watchdog() error            { return notify.Watchdog() }
