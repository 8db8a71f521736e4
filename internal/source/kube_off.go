//go:build nokube

package source

// Built with -tags nokube, podroutes has no --kubeconfig source: it links
// none of client-go, for a smaller binary (BENCHMARKS.md compares the two).

import (
	"context"
	"errors"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/notify"
)

var errNoKube = errors.New("--kubeconfig: this podroutes is built without Kubernetes (-tags nokube)")

// kubeSource is never made: openKube refuses.
type kubeSource struct{}

func openKube(string) (*kubeSource, error) { return nil, inputError(errNoKube) }

// Nodes refuses: there is no Kubernetes source.
func Nodes(context.Context, string, *notify.Logger) (inventory.Inventory, error) {
	return inventory.Inventory{}, inputError(errNoKube)
}

func (*Source) listOnce(context.Context, Host) error { return nil }

func (*kubeSource) plan(context.Context, *Source, Host, time.Duration) (plan.Node, error) {
	return plan.Node{}, inputError(errNoKube)
}

// Follow returns no updates: there is no Kubernetes source.
func (*Source) Follow(context.Context, Host, time.Duration, time.Duration) (<-chan watch.Update, func(), error) {
	return nil, nil, nil
}

// Keep is nil: there is no Kubernetes source.
func (*Source) Keep() func() []apply.Kept { return nil }
