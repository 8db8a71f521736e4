// Package fake is an in-memory main routing table for tests: a
// reconcile.Kernel that follows the kernel's rules for adding, replacing and
// deleting routes, counts its writes and prints itself as sorted text.
package fake

import (
	"context"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/route"
)

// Kernel is a fake main table. The zero value is empty and ready to use.
// It takes the paths production takes: it is a reconcile.Batcher (Execute
// hands it its writes in batches, as it does kernel.Kernel), and it says
// whether it writes every route with its gateway inline (Inline), as
// kernel.Kernel does when the kernel has no nexthop objects.
type Kernel struct {
	// Dev is the device the kernel picks for a route added without one.
	Dev string
	// Fail makes every write of a route with these keys fail.
	Fail map[route.Key]error
	// InlineGateways is what Inline reports.
	InlineGateways bool

	mu     sync.Mutex
	routes []reconcile.Route
	writes int
}

var (
	_ reconcile.Kernel  = (*Kernel)(nil)
	_ reconcile.Batcher = (*Kernel)(nil)
)

// New returns a fake table holding routes, each written as MustParse reads
// it. It panics on a malformed route.
func New(routes ...string) *Kernel {
	k := &Kernel{Dev: "eth0"}
	for _, s := range routes {
		k.routes = append(k.routes, MustParse(s))
	}
	return k
}

// Routes returns podroutes' routes of the table.
func (k *Kernel) Routes(context.Context) ([]reconcile.Route, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var rs []reconcile.Route
	for _, r := range k.routes {
		if r.Protocol == route.Owner {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// Winners returns, for each of keys, the route the kernel uses there: of
// those for all its traffic, the one with the lowest metric.
func (k *Kernel) Winners(_ context.Context, keys []route.Key) ([]reconcile.Route, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return reconcile.PickWinners(k.routes, keys), nil
}

// Add fails with EEXIST if a route to the destination with the same metric
// exists, as the kernel does for NLM_F_EXCL.
func (k *Kernel) Add(r reconcile.Route) error {
	return k.do(r, func() error {
		if k.at(r) >= 0 {
			return syscall.EEXIST
		}
		k.routes = append(k.routes, k.withDev(r))
		return nil
	})
}

// Replace replaces the route to the destination with the same metric,
// whoever owns it, or adds r.
func (k *Kernel) Replace(r reconcile.Route) error {
	return k.do(r, func() error {
		if i := k.at(r); i >= 0 {
			k.routes[i] = k.withDev(r)
			return nil
		}
		k.routes = append(k.routes, k.withDev(r))
		return nil
	})
}

// Delete deletes the first route that matches r's destination, source,
// TOS, protocol and metric, and its gateway and device when r has them, as
// the kernel does; none is not an error.
func (k *Kernel) Delete(r reconcile.Route) error {
	return k.do(r, func() error {
		i := slices.IndexFunc(k.routes, r.Deletes)
		if i >= 0 {
			k.routes = slices.Delete(k.routes, i, i+1)
		}
		return nil
	})
}

// WriteBatch makes the writes in order, as Add, Replace and Delete do, and
// returns each one's error.
func (k *Kernel) WriteBatch(ws []reconcile.Write, _ logs.Logger) []error { return Batch(k, ws) }

// Batch makes the writes through k's Add, Replace and Delete, in order,
// and returns each one's error: the WriteBatch of a test's Kernel that
// wraps a fake to change how single writes go (an address that vanishes
// at the first add), so that its writes take the batched path too.
func Batch(k reconcile.Kernel, ws []reconcile.Write) []error {
	errs := make([]error, len(ws))
	for i, w := range ws {
		switch w.Op {
		case reconcile.Add:
			errs[i] = k.Add(w.Route)
		case reconcile.Replace:
			errs[i] = k.Replace(w.Route)
		default:
			errs[i] = k.Delete(w.Route)
		}
	}
	return errs
}

// Unbatched is k as a plain reconcile.Kernel, which Execute writes one
// route at a time: the path of a Kernel that cannot batch.
func (k *Kernel) Unbatched() reconcile.Kernel { return unbatched{k} }

type unbatched struct{ reconcile.Kernel }

// Finish ends a run of batches: a fake table has no nexthop objects to
// delete.
func (k *Kernel) Finish(logs.Logger) error { return nil }

// Inline reports InlineGateways: whether every route is written with its
// gateway inline (apply plans for it: reconcile.Plan.Inline).
func (k *Kernel) Inline() bool { return k.InlineGateways }

// SetOthers stands for the other owners: their routes become routes (each
// written as MustParse reads it), each taking its destination over, the
// way `ip route replace` at a lower metric would win it. No write counts.
func (k *Kernel) SetOthers(routes ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.routes = slices.DeleteFunc(k.routes, func(x reconcile.Route) bool { return x.Protocol != route.Owner })
	for _, s := range routes {
		r := MustParse(s)
		k.routes = slices.DeleteFunc(k.routes, func(x reconcile.Route) bool { return x.Dst == r.Dst })
		k.routes = append(k.routes, r)
	}
}

// SetDev sets Dev, the device the kernel picks for a route added without
// one (the link that reaches its gateway, which a test may move); safe
// while the table is in use.
func (k *Kernel) SetDev(dev string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Dev = dev
}

// FailWrites makes every write of a route with key fail with err from now
// on, or succeed again when err is nil; safe while the table is in use.
func (k *Kernel) FailWrites(key route.Key, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		delete(k.Fail, key)
		return
	}
	if k.Fail == nil {
		k.Fail = map[route.Key]error{}
	}
	k.Fail[key] = err
}

// Writes counts the writes made so far, failed ones included.
func (k *Kernel) Writes() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.writes
}

// String prints the table one route a line, sorted.
func (k *Kernel) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	lines := make([]string, len(k.routes))
	for i, r := range k.routes {
		lines[i] = r.String() + "\n"
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

func (k *Kernel) do(r reconcile.Route, f func() error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes++
	if err := k.Fail[r.Key()]; err != nil {
		return err
	}
	return f()
}

// at is the index of the route the kernel keys as r (destination, source,
// TOS, metric), or -1.
func (k *Kernel) at(r reconcile.Route) int {
	return slices.IndexFunc(k.routes, func(x reconcile.Route) bool { return reconcile.SameKey(x, r) })
}

func (k *Kernel) withDev(r reconcile.Route) reconcile.Route {
	if r.Dev == "" {
		r.Dev = k.Dev
	}
	return r
}
