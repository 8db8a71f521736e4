// Package apply makes a host's routes match its config, and reports how far
// they do: Apply (refuse unsafe routes, reconcile what can go in at once,
// wait for the gateways of the rest), Check (read-only) and Remove. The
// kernel comes in as interfaces, so that the commands stay thin and tests
// can pass a fake or a namespace.
package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"syscall"
	"time"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/route"
)

// Kernel is the routing table plus the links and addresses gateways
// are reached through (kernel.Kernel).
type Kernel interface {
	reconcile.Kernel
	gateway.Source
}

// Options tune Apply.
type Options struct {
	// DryRun prints the plan to Out and writes nothing; it does not wait.
	DryRun bool
	Out    io.Writer
	// Wait bounds the wait for unreachable gateways; 0 does not wait.
	Wait time.Duration
	// Force takes over destinations other owners hold (as config.Force).
	Force bool
	// Log gets one line per change.
	Log logs.Logger
	// Wrote, if set, is called after each write made (watch names them).
	Wrote func(reconcile.Write)
	// Lock, if set, serializes the passes that write with other podroutes
	// processes: it is taken for each pass and released while Apply waits
	// for gateways, so that a dead node's gateway never holds up a watcher
	// or an admin's remove. It returns the release.
	Lock func(ctx context.Context) (release func(), err error)
	// Hostname is this host's name, for the message refusing a config
	// that names another host.
	Hostname string
	// Only, when set, makes the pass a heal: it repairs the routes to
	// these keys only (watch's, those it saw change), reading
	// what is there by looking each up (Kernel.Winners) rather than
	// listing podroutes' routes, so that its cost follows what changed;
	// stale routes are left to the full passes.
	Only []route.Key
	// LeaveOut leaves out a route the host's links make wrong (a
	// destination it is connected to, a gateway of its own), or that
	// holds an address to Keep, as an error
	// of the pass, where it would otherwise refuse the config: for
	// Kubernetes, where one Node's route must not hold up the others'.
	LeaveOut bool
	// Node is --node, when it was given: with LeaveOut, the message of a
	// route via the host's own address asks whether it is right.
	Node string
	// Keep, if set, returns the addresses this host must go on reaching
	// as it does (the Kubernetes API server's, which the routes come
	// from): a route whose destination holds one is wrong, as one to a
	// connected subnet is, since it would take that traffic elsewhere.
	// It is asked at each pass: the addresses may change (DNS).
	Keep func() []Kept

	// offLink is cfg's, set by Apply and Check from all its routes.
	offLink offLink
}

// Apply makes k's main table hold exactly the routes cfg wants, as far as
// podroutes owns them. It refuses (with a *RefusedError, before any write)
// a default route, a route that would shadow a subnet the host is on, and
// a gateway that is one of the host's own addresses. Then it adds,
// replaces and prunes at once everything it can; while some gateway is
// unreachable it waits, up to o.Wait and without the lock, for a link or
// address change, and goes again. Every failure, every conflict with
// another owner and the gateways still unreachable at the end are in the
// returned error; the result counts what the last pass reached.
func Apply(ctx context.Context, k Kernel, cfg config.Config, o Options) (reconcile.Result, error) {
	force := o.Force || cfg.Force
	want := Wants(cfg)
	o.offLink = offLinkOf(cfg, want)
	if o.Only != nil {
		want = only(want, o.Only)
	}
	// cfg's routes are not used below: they can go (Wants has them) while
	// the plan is made and run, unless the caller keeps them.
	node := cfg.Node
	if err := refuseDefault(want); err != nil {
		return reconcile.Result{}, err
	}
	if o.DryRun {
		return dryRun(ctx, k, want, node, force, o)
	}
	var changes <-chan struct{}
	if o.Wait > 0 {
		// Subscribed before the first pass: no change falls between a pass
		// and the wait after it.
		done := make(chan struct{})
		defer close(done)
		var err error
		if changes, err = k.Subscribe(done); err != nil {
			return reconcile.Result{}, fmt.Errorf("watching links and addresses: %w", err)
		}
	}
	deadline := time.NewTimer(o.Wait)
	defer deadline.Stop()
	for {
		res, left, err := pass(ctx, k, want, node, force, o)
		// Stopped while waiting: the pass's problems (a conflict, a write
		// that failed) stay in the error, wherever the stop lands.
		stopped := func() error { return errors.Join(err, &InterruptedError{Waiting: left, Reached: res, Err: ctx.Err()}) }
		switch {
		case len(left) == 0 || IsRefused(err) || o.Wait <= 0:
			return res, errors.Join(unreachable(left, o.Wait, o.offLink.mode), err)
		case ctx.Err() != nil:
			return res, stopped()
		}
		select {
		case <-ctx.Done():
			return res, stopped()
		case <-deadline.C:
			return res, errors.Join(unreachable(left, o.Wait, o.offLink.mode), err)
		case _, ok := <-changes:
			if !ok {
				return res, errors.Join(errors.New("watching links and addresses: updates stopped"), err)
			}
		}
	}
}

// pass takes the lock, reads the links and the table, refuses what must
// be refused and makes the writes; it returns what it reached and the
// gateways no link reaches.
func pass(ctx context.Context, k Kernel, want []reconcile.Want, node string, force bool, o Options) (reconcile.Result, []gateway.Target, error) {
	if o.Lock != nil {
		release, err := o.Lock(ctx)
		if err != nil {
			return reconcile.Result{}, nil, err
		}
		defer release()
	}
	d, err := diff(ctx, k, want, node, force, o, true)
	if err != nil {
		return reconcile.Result{}, nil, err
	}
	res := reconcile.Execute(ctx, k, d.plan, o.Log, o.Wrote)
	if o.Only == nil {
		res.Paths = paths(want, d.tunnel)
	}
	// The stale entries and an unneeded device go once the routes that
	// used them are elsewhere, and only when they all are: when no write
	// failed. Another owner's route left alone at a destination is no
	// failed write (it stays until its owner takes it away, and the
	// kernel uses it, not podroutes' route there): counted as one, it
	// kept a stale device and entries as long as it stayed. With the
	// tunnel turned off, the device goes whatever the routes' writes did
	// (a route through it that could not be replaced goes with it).
	var post error
	if len(res.Errs) == len(d.plan.Conflicts()) || !d.tunnel.on {
		tk, _ := k.(Tunnels) // one, if there are changes (planTunnel)
		post = changeTunnel(tk, d.tunnel.post, o.Log)
	}
	left := d.left
	if o.Wait > 0 {
		left = append(left, lost(res, left)...)
	}
	return res, left, errors.Join(d.leftOut, noIPv6(want, d.links), res.Err(), post)
}

// lost lists the gateways of the writes the kernel refused as unreachable
// (ENETUNREACH) though the links read before said they were reachable:
// an address went away meanwhile, as when systemd-networkd reconfigures
// the uplink (which podroutes' own reload of a drop-in starts). Apply
// waits for them as for any unreachable gateway; those of left, known
// unreachable already, are not listed again.
func lost(res reconcile.Result, left []gateway.Target) []gateway.Target {
	var ts []gateway.Target
	known := func(t gateway.Target) bool {
		same := func(u gateway.Target) bool { return u.Gw == t.Gw }
		return slices.ContainsFunc(left, same) || slices.ContainsFunc(ts, same)
	}
	for _, err := range res.Errs {
		var we *reconcile.WriteError
		if errors.As(err, &we) && we.Write.Op != reconcile.Delete && errors.Is(we.Err, syscall.ENETUNREACH) {
			if t := targetOf(we.Write.Route); !known(t) {
				ts = append(ts, t)
			}
		}
	}
	return ts
}

// planned is what diff found: the plan, the links it read, the gateways
// no link reaches, and the routes left out (Options.LeaveOut), as errors.
type planned struct {
	plan    reconcile.Plan
	links   []gateway.Link
	left    []gateway.Target
	leftOut error
	tunnel  tunneled
}

// diff reads the links and the table and plans the writes. It returns a
// *RefusedError for a config that must not go in whatever the kernel says.
// With write, it makes the tunnel's device and entries the routes need
// (tunneled.pre) before it reads the routes.
func diff(ctx context.Context, k Kernel, want []reconcile.Want, node string, force bool, o Options, write bool) (planned, error) {
	links, err := k.Links()
	if err != nil {
		return planned{}, fmt.Errorf("listing links and addresses: %w", err)
	}
	var keep []Kept
	if o.Keep != nil {
		keep = o.Keep()
	}
	want, out, leftOut := refuse(want, links, keep, node, o)
	if IsRefused(leftOut) {
		return planned{}, leftOut
	}
	left := gateway.Unreachable(links, targets(want))
	t, left := throughTunnel(want, links, left, o.offLink)
	resolve(want, links, left)
	if err := planTunnel(k, &t, o.Only != nil); err != nil {
		// No route goes through a tunnel that cannot be made, or
		// through a foreign device of its name.
		want, out, leftOut = t.leaveOut(want, out, leftOut, err)
	} else if write && len(t.pre) > 0 {
		// Made before the routes are read: a device created anew
		// has none of the routes through the one it replaced.
		if err := changeTunnel(k.(Tunnels), t.pre, o.Log); err != nil { // planTunnel found it one
			want, out, leftOut = t.leaveOut(want, out, leftOut, err)
		}
	}
	var have []reconcile.Route
	if o.Only != nil {
		have, err = k.Winners(ctx, reconcile.Keys(want))
	} else {
		have, err = reconcile.Have(ctx, k, want)
	}
	if err != nil {
		return planned{}, err
	}
	p := reconcile.Diff(want, have, force).Omit(out)
	if in, ok := k.(inliner); ok && in.Inline() {
		p = p.Inline()
	}
	return planned{plan: p, links: links, left: left, leftOut: leftOut, tunnel: t}, nil
}

// inliner is a Kernel that can say it writes every route with its gateway
// (kernel.Kernel); one that cannot is taken to use nexthop objects where
// it may.
type inliner interface{ Inline() bool }

// dryRun prints what one pass would write.
func dryRun(ctx context.Context, k Kernel, want []reconcile.Want, node string, force bool, o Options) (reconcile.Result, error) {
	d, err := diff(ctx, k, want, node, force, o, false)
	if err != nil {
		return reconcile.Result{}, err
	}
	if err := d.tunnel.writeChanges(o.Out); err != nil {
		return reconcile.Result{}, fmt.Errorf("printing the plan: %w", err)
	}
	if err := d.plan.WriteWrites(o.Out); err != nil {
		return reconcile.Result{}, fmt.Errorf("printing the plan: %w", err)
	}
	return reconcile.Result{}, errors.Join(append([]error{d.leftOut, unreachable(d.left, 0, o.offLink.mode)}, d.plan.Conflicts()...)...)
}

// unreachable is the error naming the gateways left, or nil.
// Without offLink vxlan, it says how a peer on another network is reached.
func unreachable(left []gateway.Target, waited time.Duration, mode config.OffLink) error {
	if len(left) == 0 {
		return nil
	}
	return &gateway.UnreachableError{Targets: left, Waited: waited, OffLinkHint: mode == config.OffLinkNone}
}

// InterruptedError is Apply stopped (SIGTERM) while it waited for
// gateways: it says what was in place, since that is what the host keeps.
type InterruptedError struct {
	Waiting []gateway.Target
	Reached reconcile.Result
	Err     error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("stopped while waiting for %s; %s", (&gateway.UnreachableError{Targets: e.Waiting}).Names(), e.Reached.Status())
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// Check hands the report, every configured (and stale) route with its
// state and the tunnel's, to report (which prints it: Report.WriteReport
// or WriteJSON) and reports whether the kernel is in sync with cfg. It
// writes nothing to the kernel. It refuses what Apply refuses, and leaves
// out what it leaves out: of o, it reads Hostname, LeaveOut, Node and
// Keep; the routes left out are its error.
func Check(ctx context.Context, k Kernel, cfg config.Config, o Options, report func(Report) error) (bool, error) {
	want := Wants(cfg)
	if err := refuseDefault(want); err != nil {
		return false, err
	}
	d, err := diff(ctx, k, want, cfg.Node, false, Options{Hostname: o.Hostname, LeaveOut: o.LeaveOut, Node: o.Node, Keep: o.Keep,
		offLink: offLinkOf(cfg, want)}, false)
	if err != nil {
		return false, err
	}
	t, err := tunnelReport(d.tunnel, cfg.Address)
	if err != nil {
		return false, err
	}
	if err := report(Report{Plan: d.plan, Tunnel: t}); err != nil {
		return false, fmt.Errorf("printing the report: %w", err)
	}
	return d.plan.InSync() && d.leftOut == nil && t.InPlace(), d.leftOut
}

// Remove deletes every route podroutes owns in the main table: those of the
// config applied and any an earlier config left; then podroutes' VXLAN
// device, if there is one (RemoveTunnel). Other owners' routes and links
// stay.
func Remove(ctx context.Context, k reconcile.Kernel, log logs.Logger) (reconcile.Result, error) {
	have, err := k.Routes(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	res := reconcile.Execute(ctx, k, reconcile.Removal(have), log, nil)
	if err := res.Err(); err != nil {
		return res, err
	}
	return res, RemoveTunnel(k, log)
}
