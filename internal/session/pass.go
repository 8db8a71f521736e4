package session

import (
	"context"
	"io"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/notify"
	"github.com/podroutes/podroutes/internal/source"
)

// Pass is a started apply or watch: its session, the config source and
// the host the source looks at. End releases it.
type Pass struct {
	*Session
	Src  *source.Source
	Host source.Host
	o    PassOptions
}

// PassOptions say how to Start a pass.
type PassOptions struct {
	// DropIns, if set (--networkd-dropin), is where this host's networkd
	// drop-in goes when its routes come from an inventory.
	DropIns string
	// DryRun, if set (apply --dry-run), gets what a load would change in
	// DropIns, which it leaves as it is; the source then waits for no
	// address.
	DryRun io.Writer
	// Wait bounds the source's wait for an address that says which host
	// this is; Metrics, if set, is told of the Nodes (source.Host) and of
	// each pass of Apply.
	Wait    time.Duration
	Metrics Metrics
}

// Metrics are told of a pass's Nodes and of how each Apply went
// (metrics.Metrics).
type Metrics interface {
	source.NodeMetrics
	Applied(reconcile.Result, error)
}

// Start begins the session of a pass from src, taking no lock (each pass
// takes it), on a kernel that writes the routes as systemd-networkd does
// where it installs them too (networkd.Inline), saying why, and saying
// when no drop-in is written beside routes.yaml (networkd.NoneWritten).
func Start(ctx context.Context, stderr io.Writer, src *source.Source, o PassOptions) (*Pass, error) {
	inline, why := networkd.Inline(o.DropIns)
	s, err := Begin(ctx, stderr, nil, kernel.Options{Inline: inline})
	if err != nil {
		return nil, err
	}
	if why != "" {
		s.Log.Infof("%s", why)
	}
	if note := networkd.NoneWritten(o.DropIns, src.Path(), src.Routes()); note != "" {
		s.Log.Infof("%s", note)
	}
	p := &Pass{Session: s, Src: src, o: o, Host: source.Host{Local: source.Local(s.K), Log: s.Log}}
	if o.DryRun == nil {
		p.Host.Wait, p.Host.Changes, p.Host.Metrics = o.Wait, s.K.Subscribe, o.Metrics
	}
	return p, nil
}

// First loads the config as the pass starts (source.First), Reload at a
// reload (SIGHUP).
func (p *Pass) First() (config.Config, error)  { return p.load(p.Src.First) }
func (p *Pass) Reload() (config.Config, error) { return p.load(p.Src.Reload) }

// load loads the config, as apply and watch do at each (re)load, installs
// this host's networkd drop-in when asked (from an inventory), and warns
// of each route of a podroutes networkd drop-in that disagrees with it
// (Source.Drift; check counts them as drift): networkd would make those at
// its next configure of the link, whatever the pass makes now.
func (p *Pass) load(get func(context.Context, source.Host) (plan.Node, error)) (config.Config, error) {
	n, err := get(p.Ctx, p.Host)
	if err == nil && p.o.DropIns != "" && !p.Src.Routes() {
		err = networkd.UpdateOrPrint(p.Log, p.o.DropIns, n.Config, n.NetworkFile, p.Src.Path(), p.o.DryRun)
	}
	if err == nil {
		for _, d := range p.Src.Drift(n.Config) {
			p.Log.Warnf("%s", d)
		}
	}
	return n.Config, err
}

// Apply makes the routes match cfg in one pass (apply.Apply, with o, this
// host's Hostname and what the source says: LeaveOut, Keep) and, unless o.DryRun, says how it
// went: to the metrics (a failed boot apply too), on the log (the status,
// when something was planned) and, once the routes are in, to systemd
// (READY=1 with the status).
func (p *Pass) Apply(cfg config.Config, o apply.Options) error {
	o.Hostname, o.LeaveOut, o.Keep = p.Hostname, p.Src.PerNode(), p.Src.Keep()
	res, err := apply.Apply(p.Ctx, p.K, cfg, o)
	if o.DryRun {
		return err
	}
	if p.o.Metrics != nil {
		p.o.Metrics.Applied(res, err) // before the error: a failed boot apply is reported too
	}
	if res.Planned() {
		p.Log.Infof("%s", res.Status())
	}
	if err != nil {
		return err
	}
	if err := notify.Ready(res.Status()); err != nil {
		// The routes are in; a systemd that does not listen changes nothing.
		p.Log.Warnf("%v", err)
	}
	return nil
}
