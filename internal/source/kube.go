//go:build !nokube

package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/kube"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/infile"
	"github.com/podroutes/podroutes/internal/notify"
)

// kubeListWait bounds how long apply, check and gen wait for the API
// server to list the Nodes (it may be starting, as the host is); watch
// waits as long as it takes, leaving the routes as they are meanwhile.
const kubeListWait = 30 * time.Second

// kubeSource is where this host's routes come from with --kubeconfig: the
// Nodes, as gen/kube lists them, planned as an inventory file's hosts are.
// All but api is guarded by Source.mu.
type kubeSource struct {
	cfg *rest.Config

	// listed says Nodes were listed (or followed) already.
	listed bool
	// pending are the Nodes listed last, until they are planned; then
	// only the plan is kept (not the inventory of every Node), and a
	// reload re-applies it. A guest's plan is provisional: its Nodes are
	// kept, so that the next plan (asked at an address change) looks for
	// this host among them again rather than returning the guest's.
	pending *kube.Snapshot
	last    plan.Node
	// guest is the name this host was last planned under as a host
	// outside the cluster ("" if it was found among the Nodes), to log
	// when that changes, not at each update.
	guest string
	// api are the API server's addresses, looked up before each plan
	// (lookUpAPI), which no Node's route may hold (Source.Keep).
	api atomic.Pointer[[]apply.Kept]
}

// openKube reads and checks the kubeconfig at path, as root reads
// routes.yaml; nothing is asked of the API server yet.
func openKube(path string) (*kubeSource, error) {
	cfg, err := kube.LoadKubeconfig(path, infile.AsRoot())
	if err != nil {
		return nil, inputError(err)
	}
	return &kubeSource{cfg: cfg}, nil
}

// Nodes reads the kubeconfig at path and lists the Nodes of its API
// server once, waiting up to kubeListWait, logging their problems: their
// inventory, as gen plans from it.
func Nodes(ctx context.Context, kubeconfig string, log *notify.Logger) (inventory.Inventory, error) {
	k, err := openKube(kubeconfig)
	if err != nil {
		return inventory.Inventory{}, err
	}
	snap, err := k.list(ctx, log, nil)
	return snap.Inventory, err
}

// list lists the Nodes once, waiting up to kubeListWait, logs their
// problems and tells m, if set, how many are routed.
func (k *kubeSource) list(ctx context.Context, log *notify.Logger, m NodeMetrics) (kube.Snapshot, error) {
	src, err := kube.New(k.cfg, kubeOptions(log, m))
	if err != nil {
		return kube.Snapshot{}, failure(err)
	}
	ctx, cancel := context.WithTimeout(ctx, kubeListWait)
	defer cancel()
	snap, err := src.List(ctx)
	if err != nil {
		return kube.Snapshot{}, failure(err)
	}
	for _, p := range snap.Problems {
		log.Warnf("%s", p)
	}
	countNodes(m, snap)
	return snap, nil
}

// listOnce lists the Nodes when the routes come from them and they were
// not listed yet (apply, check; watch follows them first).
func (s *Source) listOnce(ctx context.Context, h Host) error {
	if s.kube == nil {
		return nil
	}
	s.mu.Lock()
	listed := s.kube.listed
	s.mu.Unlock()
	if listed {
		return nil
	}
	snap, err := s.kube.list(ctx, h.Log, h.Metrics)
	if err != nil {
		return err
	}
	s.take(snap)
	return nil
}

// kubeOptions are gen/kube's options: log, and tell m, if set, whether
// the API server answers.
func kubeOptions(log *notify.Logger, m NodeMetrics) kube.Options {
	o := kube.Options{Log: log}
	if m != nil {
		o.Answering = m.Answering
	}
	return o
}

// countNodes tells m, if set, how many Nodes snap routes.
func countNodes(m NodeMetrics, snap kube.Snapshot) {
	if m != nil {
		m.Nodes(snap.Nodes-len(snap.Problems), len(snap.Problems))
	}
}

// take keeps snap to plan from next.
func (s *Source) take(snap kube.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kube.pending, s.kube.listed = &snap, true
}

// plan plans this host's routes from the Nodes listed last, or returns
// the last plan if they are planned already. This host is found as in an
// inventory file (plan.Self), else planned as a guest (plan.Guest) named
// --node or the kubelet's default name, since a host may run podroutes
// before its kubelet registers it, or never be a Node (the lab's server).
// The caller holds s.mu.
func (k *kubeSource) plan(ctx context.Context, s *Source, h Host, wait time.Duration) (plan.Node, error) {
	if k.pending == nil {
		return k.last, nil
	}
	if err := k.lookUpAPI(ctx); err != nil {
		return plan.Node{}, err
	}
	n, err := k.planFrom(ctx, s, k.pending.Inventory, h, wait)
	if err == nil {
		k.last = n
		if k.guest == "" {
			k.pending = nil
		}
	}
	return n, err
}

// guest says whether the last plan was a guest's (provisional).
func (s *Source) guest() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kube.guest != ""
}

func (k *kubeSource) planFrom(ctx context.Context, s *Source, inv inventory.Inventory, h Host, wait time.Duration) (plan.Node, error) {
	self, err := s.self(ctx, inv, h, wait)
	switch {
	case err == nil:
		k.guest = ""
		return s.planSelf(inv, self)
	case s.o.Node == "" && !errors.Is(err, plan.ErrNotFound):
		return plan.Node{}, err // more than one Node is this host
	}
	name := cmp.Or(s.o.Node, kubeletName())
	if k.guest != name {
		h.Log.Warnf("%v; routing to every Node as %q, a host outside the cluster", err, name)
		k.guest = name
	}
	return plan.Guest(inv, name, s.o.planOptions(nil)), nil
}

// kubeletName is the name a kubelet registers its Node under by default:
// the host name, lower case.
func kubeletName() string {
	h, _ := os.Hostname()
	return strings.ToLower(strings.TrimSpace(h))
}

// Follow, when the routes come from the Nodes (watch), starts following
// them and waits for the first list, pinging the watchdog meanwhile
// (every interval; 0 sends none) and saying on STATUS= what it waits for:
// until then nothing is applied, so the routes stay as they were. If the
// list takes longer than ready, it sends READY=1 anyway: the watcher is
// up, and a service ordered after it, or the boot, must not wait for an
// API server that may be down for hours. It plans the first config (which
// First then returns) and returns this host's configs as the Nodes
// change, the latest first when the watcher is slow, and the same config
// again only after an outage, to check the routes. When planning fails
// (this host holds the addresses of two Nodes), it sends why, and plans
// again at the next list or when replan is called, until it can
// (watch.Options.Replan). Other sources return nil: no updates. If ctx
// ends first, Follow returns ctx's error.
func (s *Source) Follow(ctx context.Context, h Host, interval, ready time.Duration) (updates <-chan watch.Update, replan func(), err error) {
	if s.kube == nil {
		return nil, nil, nil
	}
	src, err := kube.New(s.kube.cfg, kubeOptions(h.Log, h.Metrics))
	if err != nil {
		return nil, nil, failure(err)
	}
	snaps := make(chan kube.Snapshot, 1)
	go src.Run(ctx, func(snap kube.Snapshot) { latest(snaps, snap) })
	waiting := fmt.Sprintf("waiting for the Nodes of %s; the routes stay as they are", s.kube.cfg.Host)
	_ = notify.Status(waiting)
	var pings <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		pings = t.C
	}
	readyAt := time.NewTimer(ready)
	defer readyAt.Stop()
	for first := false; !first; {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-pings:
			_ = notify.Watchdog()
		case <-readyAt.C:
			_ = notify.Ready(waiting)
		case snap := <-snaps:
			s.take(snap)
			countNodes(h.Metrics, snap)
			first = true
		}
	}
	// Planning looks up this host's addresses on a handle of its own: the
	// watcher's is not to be shared between goroutines.
	k, err := kernel.Open()
	if err != nil {
		return nil, nil, failure(err)
	}
	h.Local = Local(k)
	last, err := s.load(ctx, h, h.Wait)
	if err != nil {
		k.Close()
		return nil, nil, err
	}
	// The config sent last, to tell a changed plan from the same one. It
	// costs nothing to keep: its routes are those watch applies, or waits
	// to. (A hash of them instead cost 2.5 ms and 30000 allocations a
	// snapshot with 5000 routes; comparing costs 20 µs.)
	sent := last.Config
	out := make(chan watch.Update, 1)
	// A guest's plan is provisional: an address change may find this
	// host among the Nodes (watch then asks for a plan again).
	provisional := s.guest()
	if provisional {
		latest(out, watch.Update{Config: last.Config, Provisional: true})
	}
	again := make(chan struct{}, 1)
	go func() {
		defer k.Close()
		// failed says the last plan failed: the Nodes listed last are
		// still to be planned (kubeSource.pending), and the plan that
		// works again is sent even if it is the one sent last.
		failed := false
		for {
			resync := false
			select {
			case <-ctx.Done():
				return
			case snap := <-snaps:
				s.take(snap)
				countNodes(h.Metrics, snap)
				resync = snap.Resync
			case <-again:
				if !failed && !s.guest() {
					continue
				}
			}
			// Updates find this host at once, or plan it as a guest,
			// without waiting for an address (h.Wait is for the first
			// plan).
			n, err := s.load(ctx, h, 0)
			if err != nil {
				failed = true
				latest(out, watch.Update{Err: fmt.Errorf("planning this host's routes from the Nodes of %s: %w", s.kube.cfg.Host, err)})
				continue
			}
			if guest := s.guest(); !n.Config.Equal(sent) || resync || failed || guest != provisional {
				sent, provisional = n.Config, guest
				latest(out, watch.Update{Config: n.Config, Provisional: guest})
			}
			failed = false
		}
	}()
	replan = func() {
		select {
		case again <- struct{}{}:
		default:
		}
	}
	return out, replan, nil
}

// latest sends v on ch (capacity 1), replacing a value not taken yet:
// the reader only wants the newest. ch has this one sender.
func latest[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}
