//go:build nokube

package main

// Built with -tags nokube, podroutes has no --kubeconfig source: it links
// none of client-go, for a smaller binary (BENCHMARKS.md compares the two).

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/notify"
)

var errNoKube = errors.New("--kubeconfig: this podroutes is built without Kubernetes (-tags nokube)")

// kubeSource is never made: openKube refuses.
type kubeSource struct{ mu sync.Mutex }

func openKube(string) (*kubeSource, error) { return nil, inputError(errNoKube) }

func (*kubeSource) inventory(context.Context, *notify.Logger, nodeMetrics) (inventory.Inventory, error) {
	return inventory.Inventory{}, inputError(errNoKube)
}

func (*kubeSource) plan(context.Context, *source, thisHost, *notify.Logger) (plan.Node, error) {
	return plan.Node{}, inputError(errNoKube)
}

func (*source) fetch(context.Context, *notify.Logger) error { return nil }

func (*source) follow(context.Context, *notify.Logger, time.Duration, time.Duration) (<-chan watch.Update, func(), error) {
	return nil, nil, nil
}

func (*source) keep() func() []apply.Kept { return nil }
