// Package apply makes a host's routes match its config, and reports how far
// they do: Apply (wait for the gateways, refuse unsafe routes, reconcile),
// Check (read-only) and Remove. The kernel comes in as interfaces, so that
// the commands stay thin and tests can pass a fake or a namespace.
package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/podroutes/podroutes/apply/config"
	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile"
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
	Log reconcile.Logger
	// Wrote, if set, is called after each write made (watch names them).
	Wrote func(reconcile.Write)
}

// Apply makes k's main table hold exactly the routes cfg wants, as far as
// podroutes owns them. It waits up to o.Wait for the gateways (and goes on
// without those still unreachable then: their routes fail, the others go
// in); refuses (with a *RefusedError, before any write) a config whose
// routes would shadow a subnet the host is on; then adds, replaces and
// prunes. Every failure and every conflict with another owner is in the
// returned error, and the result counts what was reached.
func Apply(ctx context.Context, k Kernel, cfg config.Config, o Options) (reconcile.Result, error) {
	force := o.Force || cfg.Force
	want := Wants(cfg)
	// cfg is not used below: its routes can go (Wants has them) while the
	// plan is made and run, unless the caller keeps them.
	if err := refuseDefault(want); err != nil {
		return reconcile.Result{}, err
	}
	wait := o.Wait
	if o.DryRun {
		wait = 0
	}
	links, waitErr := gateway.Wait(ctx, k, targets(want), wait)
	var unreachable *gateway.UnreachableError
	if waitErr != nil && !errors.As(waitErr, &unreachable) {
		return reconcile.Result{}, waitErr
	}
	if err := refuseConnected(want, links); err != nil {
		return reconcile.Result{}, err
	}
	have, err := k.Routes(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	plan := reconcile.Diff(want, have, force)
	if o.DryRun {
		if err := plan.WriteWrites(o.Out); err != nil {
			return reconcile.Result{}, fmt.Errorf("printing the plan: %w", err)
		}
		return reconcile.Result{}, errors.Join(append([]error{waitErr}, plan.Conflicts()...)...)
	}
	res := reconcile.Execute(ctx, k, plan, o.Log, o.Wrote)
	return res, errors.Join(waitErr, noIPv6(want, links), res.Err())
}

// Check prints every configured (and stale) route with its state to w and
// reports whether the kernel is in sync with cfg. It writes nothing.
func Check(ctx context.Context, k reconcile.Kernel, cfg config.Config, w io.Writer) (bool, error) {
	have, err := k.Routes(ctx)
	if err != nil {
		return false, err
	}
	plan := reconcile.Diff(Wants(cfg), have, false)
	if err := plan.WriteReport(w); err != nil {
		return false, fmt.Errorf("printing the report: %w", err)
	}
	return plan.InSync(), nil
}

// Remove deletes every route podroutes owns in the main table: those of the
// config applied and any an earlier config left. Other owners' routes stay.
func Remove(ctx context.Context, k reconcile.Kernel, log reconcile.Logger) (reconcile.Result, error) {
	have, err := k.Routes(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	res := reconcile.Execute(ctx, k, reconcile.Removal(have), log, nil)
	return res, res.Err()
}
