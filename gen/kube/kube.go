// Package kube makes the inventory from the Kubernetes API: the Node
// list, followed with a client-go reflector (list, watch, relist, backoff:
// client-go's own, its backoff cut short when the API server answers
// again: wakeClock), keeping of each Node only what podroutes reads, and
// turned into an Inventory by inventory.Admit after each burst of
// changes. It says what goes wrong with the API once per change, and
// never makes a snapshot from a list it does not have: while the API
// server is unreachable, or refuses podroutes, there is no new snapshot,
// so the routes stay as they are.
package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/logs"
)

// Defaults of Options.
const (
	// DefaultDebounce is how long a snapshot waits after the first change
	// of a burst: a rolling replacement of Nodes, or a relist after an
	// outage, is one update rather than hundreds, and a change still
	// reaches the routes well within a second.
	DefaultDebounce = 100 * time.Millisecond
	// DefaultPageSize is how many Nodes one list request returns at most.
	// Each page is decoded whole (a kubelet's Node with its images is
	// about 12 KB of JSON) and slimmed before the next is asked for, so the
	// page bounds the memory a list takes; fewer come in a page when they
	// are large (pageBytes).
	DefaultPageSize = 250
)

// Options tune a Source. Zero values take the defaults.
type Options struct {
	Debounce time.Duration
	PageSize int64
	Log      logs.Logger
	// Answering, if set, is told whether the API server answers: false
	// when a list or watch fails (not at each retry), or Run's probe gets
	// no answer (a frozen API server: see ProbeEvery), true when one
	// succeeds after that or at first. It must return soon.
	Answering func(bool)
	// Clock times the probes and the reflector's backoff; nil is the
	// real clock.
	Clock clock.WithTickerAndDelayedExecution
}

// Snapshot is the inventory the Nodes make at one moment.
type Snapshot struct {
	// Inventory holds the Nodes podroutes routes, and those it does not
	// route to but that are hosts (see inventory.Admit), by name.
	Inventory inventory.Inventory
	// Problems are the Nodes not routed, and why.
	Problems []inventory.Problem
	// Nodes counts the Nodes listed.
	Nodes int
	// Resync marks a snapshot taken because the API server answers again
	// after failing: the routes are to be checked even if it is the same
	// as the last.
	Resync bool
}

// Source follows the Nodes of one API server. It runs once: Run or List.
type Source struct {
	o       Options
	host    string // the API server, for messages
	nodes   *nodeClient
	store   *nodeStore
	refl    *cache.Reflector
	wake    *wakeClock    // the reflector's: the heartbeat ends its backoff
	changed chan struct{} // a change since the last snapshot; capacity 1
	// ask tells the heartbeat to ask the API server sooner: a list or
	// watch found it unreachable, or the reflector waits out a backoff.
	ask    chan struct{}
	resync atomic.Bool // the next snapshot follows a reconnection
	api    apiState
	// fatal gets the first error List cannot wait out (credentials
	// rejected, no rights); nil in Run.
	fatal chan error
	once  sync.Once
}

// quietKlog silences klog, once per process and before the reflector
// logs (klog.SetLogger races with logging): client-go logs each failed
// retry in its own format, and podroutes says what is wrong itself
// (apiState), once per change.
var quietKlog sync.Once

// New makes a Source for the API server cfg names.
func New(cfg *rest.Config, o Options) (*Source, error) {
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	quietKlog.Do(func() { klog.SetLogger(logr.Discard()) })
	client, err := newNodeClient(cfg)
	if err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	ask := make(chan struct{}, 1)
	s := &Source{o: o, host: cfg.Host, nodes: client, changed: make(chan struct{}, 1), ask: ask, wake: newWakeClock(o.Clock, ask)}
	s.api = apiState{host: cfg.Host, log: o.Log, answering: o.Answering, recovered: func() { s.resync.Store(true); s.change() },
		fell: ask, clock: o.Clock}
	// The store notes that something changed; snapshots are made on
	// Run's goroutine, after the debounce.
	s.store = newNodeStore(s.change)
	s.refl = cache.NewReflectorWithOptions(s.listWatch(client), &corev1.Node{}, s.store,
		cache.ReflectorOptions{Name: "podroutes", TypeDescription: "*v1.Node", Clock: s.wake})
	return s, nil
}

func (s *Source) change() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Run lists and watches the Nodes until ctx is done: it calls send with
// a snapshot once the Nodes are listed, then after each burst of changes
// (o.Debounce after its first), and after the API server answers again
// following a failure. Nothing is sent while the Nodes cannot be listed.
// It probes the API server every ProbeEvery, so that a frozen one is
// told (Options.Answering, the log) too.
// Problems with Nodes are logged once per change. send runs on Run's
// goroutine.
func (s *Source) Run(ctx context.Context, send func(Snapshot)) {
	s.start(ctx)
	select {
	case <-s.store.synced:
	case <-ctx.Done():
		return
	}
	var rep reporter
	take := func() {
		// A change noted before the snapshot is in it (the store has it
		// before the handler notes it): forgotten here, it sends no
		// second, identical snapshot, as the first list's own additions
		// or a burst's last events did. A change after this is in the
		// snapshot too or sends another.
		select {
		case <-s.changed:
		default:
		}
		snap := s.snapshot()
		rep.report(s.o.Log, snap)
		send(snap)
	}
	take()
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
			if debounce == nil {
				debounce = time.After(s.o.Debounce)
			}
		case <-debounce:
			debounce = nil
			take()
		}
	}
}

// List lists the Nodes once and returns their snapshot (Problems not
// logged). It waits, retrying as Run does, until ctx is done, except for
// errors waiting cannot mend: credentials rejected, no right to list.
func (s *Source) List(ctx context.Context) (Snapshot, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.fatal = make(chan error, 1)
	s.api.once = true
	s.start(ctx)
	select {
	case <-s.store.synced:
		return s.snapshot(), nil
	case err := <-s.fatal:
		return Snapshot{}, err
	case <-ctx.Done():
	}
	err := fmt.Errorf("listing the Nodes of %s: %w", s.host, ctx.Err())
	if last := s.api.lastError(); last != nil {
		err = fmt.Errorf("%w; the last error: %w", err, last)
	}
	return Snapshot{}, err
}

// start runs the reflector, and the heartbeat that probes the API server
// and ends the reflector's backoff when it answers, until ctx is done; a
// Source starts once.
func (s *Source) start(ctx context.Context) {
	started := false
	s.once.Do(func() { started = true })
	if !started {
		panic("kube: a Source runs once")
	}
	go s.heartbeat(ctx, s.o.Clock, s.nodes.Probe)
	go s.refl.RunWithContext(ctx)
}

// snapshot admits the Nodes in the store.
func (s *Source) snapshot() Snapshot {
	objs := s.store.List()
	nodes := make([]inventory.Node, 0, len(objs))
	for _, o := range objs {
		if n, ok := o.(*node); ok {
			nodes = append(nodes, nodeOf(n))
		}
	}
	inv, probs := inventory.Admit(s.host, nodes)
	return Snapshot{Inventory: inv, Problems: probs, Nodes: len(nodes), Resync: s.resync.Swap(false)}
}

// failed records err; List gives up on those waiting cannot mend.
func (s *Source) failed(err error) {
	if _, final := s.api.failed(err); final && s.fatal != nil {
		select {
		case s.fatal <- errors.New("listing the Nodes: " + s.api.describe(err)):
		default:
		}
	}
}
