// Package watch keeps a host's routes as its config wants them: after a
// first apply it heals, within milliseconds, what the kernel's events say
// broke (bursts coalesced): a route to a wanted destination deleted or
// taken, an address or link that reaches a gateway changed. Events that
// cannot touch the routes (a pod's veth, another owner's routes elsewhere)
// cost their reading only, and a heal looks at the destinations it heals,
// not at the table. A full pass runs at start, periodically as a safety
// net, when events were lost, and with a new config. A pass with nothing
// to do writes nothing, so the events of its own writes end in silence
// rather than a loop.
package watch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/logs"
)

// Kernel is what apply needs, plus the kernel's change events
// (kernel.Kernel).
type Kernel interface {
	apply.Kernel
	// Events sends each route, link, address and nexthop change, until
	// done is closed; EventsLost when some were lost. The channel closes
	// early if the subscription fails.
	Events(done <-chan struct{}) (<-chan kernel.Event, error)
	// Observe keeps the Kernel's links as each event says, and completes
	// the event; every event goes through it, in order.
	Observe(ev *kernel.Event)
}

// Observer is told what watch does, for metrics. Its methods run on
// watch's goroutine and must return soon.
type Observer interface {
	// Passed is called after every pass, with what started it ("start",
	// "link eth0 up", "periodic resync"), what it reached and its error.
	// healed is, for a pass that kernel events started and that wrote (a
	// heal), the time from the first event of the burst to the end of the
	// pass; 0 for every other pass. One call a pass, so that an observer
	// exporting a file writes it once.
	Passed(why string, res reconcile.Result, err error, healed time.Duration)
}

// Notifier tells systemd how the service is (notify package functions).
type Notifier interface {
	Ready(status string) error
	Status(status string) error
	Watchdog() error
}

// ErrHostUnknown, wrapped by an Options.Load error, says the config has no
// host with one of this host's addresses (an inventory, rewritten with
// this host's new address before the address is on): an address change
// may find it.
var ErrHostUnknown = errors.New("no host of the config has one of this host's addresses")

// Defaults of Options.
const (
	DefaultDebounce = 30 * time.Millisecond
	DefaultResync   = 5 * time.Minute
	// maxRetry caps the backoff after a pass that failed.
	maxRetry = time.Minute
)

// The shortest Resync and Debounce podroutes watch takes (CheckIntervals).
const (
	MinResync   = time.Second
	MinDebounce = time.Millisecond
)

// CheckIntervals refuses a resync or a debounce shorter than its minimum,
// naming its flag (--resync, --debounce).
func CheckIntervals(resync, debounce time.Duration) error {
	for _, d := range []struct {
		flag string
		v    time.Duration
		min  time.Duration
	}{{"resync", resync, MinResync}, {"debounce", debounce, MinDebounce}} {
		if d.v < d.min {
			return fmt.Errorf("--%s %s: want a duration of %s or more", d.flag, d.v, d.min)
		}
	}
	return nil
}

// Options tune Run. Zero values take the defaults.
type Options struct {
	// Wait bounds the first apply's wait for unreachable gateways; later
	// passes do not wait (the link or address event that makes a gateway
	// reachable starts a pass).
	Wait time.Duration
	// Debounce is how long a pass waits at most after the first event of
	// a burst; it starts sooner when the events pause (settle).
	Debounce time.Duration
	// Resync is the period of the safety-net pass that runs without events.
	Resync time.Duration
	// Watchdog is the period of WATCHDOG=1 pings; 0 sends none.
	Watchdog time.Duration
	// Force takes over destinations other owners hold, as config.Force.
	Force bool
	// Reload asks Run to load the config again (SIGHUP); Load loads it.
	// A load that fails with ErrHostUnknown is tried again at each
	// change of this host's addresses (and after events were lost),
	// until one works or the next reload.
	Reload <-chan struct{}
	Load   func() (config.Config, error)
	// Updates, if set, brings the configs of a live source (the Kubernetes
	// API's Nodes): each replaces the config, as a reload does. With a
	// live source, a config refused at start is reported and retried
	// like a failure, not returned.
	Updates <-chan Update
	// Replan, if set, asks the live source to plan again while its last
	// plan failed (Update.Err) or was provisional (Update.Provisional):
	// Run calls it at each retry and periodic
	// resync, and at each address change (this host holding another
	// Node's address fails a plan). The new plan comes as an Update. It
	// must return at once.
	Replan func()
	// Observer, if set, is told of each pass, heals included.
	Observer Observer
	// Lock serializes each pass with other podroutes processes; it returns
	// the release. nil takes no lock.
	Lock func(ctx context.Context) (func(), error)
	// Hostname is this host's name (apply.Options.Hostname).
	Hostname string
	// Node is apply.Options.Node: --node, if given.
	Node string
	// Keep is apply.Options.Keep: the API server's addresses.
	Keep func() []apply.Kept
	// LeaveOut is apply.Options.LeaveOut: for the Nodes of Kubernetes.
	LeaveOut bool
	// Clock is the time watch goes by: debounce, resync, retries, the
	// watchdog and heal times. nil is the real clock; tests pass a fake.
	Clock  clock.WithTicker
	Log    logs.Logger
	Notify Notifier
}

// Update is what a live source sends (Options.Updates): this host's
// config as the source plans it now, or, in Err, why it cannot plan it.
// While the last Update is an Err, watch keeps the routes of the last
// config it took (they may still be right) but reports each pass as a
// failure, with Err among its problems, and claims no route in place: the
// routes wanted now are not known.
type Update struct {
	Config config.Config
	Err    error
	// Provisional: Config was planned without finding this host among
	// the nodes (a guest, for want of its address): an address change
	// may find it, so watch asks for a plan again at each (Replan) as
	// while an Err stands. Without it, a host whose address was off its
	// links for a moment (moved to a bridge) when a Node changed stayed a
	// guest, its own Node's route left out, until the next Node change.
	Provisional bool
}

// Run applies cfg and keeps it applied until ctx is done, then returns nil,
// leaving the routes in place. It returns an error only if watching fails
// or the first apply refuses cfg (apply.IsRefused) without Updates; routes
// that fail or conflict are reported, once per change, and retried.
func Run(ctx context.Context, k Kernel, cfg config.Config, o Options) error {
	o.defaults()
	done := make(chan struct{})
	defer close(done)
	// Subscribe before the first apply, so no change falls in between.
	events, err := k.Events(done)
	if err != nil {
		return fmt.Errorf("watching the kernel: %w", err)
	}
	w := newWatcher(k, cfg, o)
	// A file refused at start is for a person to fix; a live source's
	// config, for the source: the next update may be fine.
	if err := w.pass(ctx, "start", o.Wait); apply.IsRefused(err) && o.Updates == nil {
		return err
	}
	if err := o.Notify.Ready(w.status); err != nil {
		o.Log.Warnf("%v", err)
	}
	resync := o.Clock.NewTicker(o.Resync)
	defer resync.Stop()
	var watchdog <-chan time.Time
	if o.Watchdog > 0 {
		t := o.Clock.NewTicker(o.Watchdog)
		defer t.Stop()
		watchdog = t.C()
	}
	burst := burst{clock: o.Clock}
	defer w.neighbours(false)
	for {
		w.neighbours(w.in.tunneled)
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.neigh:
			if !ok { // the subscription failed: the resync repairs
				w.neigh = nil
				continue
			}
			k.Observe(&ev)
			if w.note(ev) {
				burst.add(ev, o.Debounce)
			}
		case ev, ok := <-events:
			if !ok {
				o.Log.Warnf("the kernel's events stopped; subscribing again and re-reading the routes")
				if events, err = k.Events(done); err != nil {
					return fmt.Errorf("watching the kernel again: %w", err)
				}
				ev = kernel.Event{Kind: kernel.EventsLost}
			}
			k.Observe(&ev)
			if ev.Kind == kernel.AddrChanged || ev.Kind == kernel.EventsLost {
				w.replan()
				if w.reloadFailed != nil {
					w.reload(ctx)
				}
			}
			if w.note(ev) {
				burst.add(ev, o.Debounce)
			}
		case <-burst.fire():
			first := burst.first
			w.heal(ctx, burst.take(), first)
		case <-w.retry.fire():
			w.replan()
			w.pass(ctx, "retry", 0)
		case <-resync.C():
			w.replan()
			w.pass(ctx, "periodic resync", 0)
		case <-o.Reload:
			w.reload(ctx)
		case u := <-o.Updates:
			w.update(ctx, u)
		case <-watchdog:
			if err := o.Notify.Watchdog(); err != nil {
				o.Log.Warnf("%v", err)
			}
		}
	}
}

// neighbourEvents is a Kernel that can send the permanent neighbour and
// FDB entries' changes (kernel.Kernel.NeighEvents): those of the tunnel.
type neighbourEvents interface {
	NeighEvents(done <-chan struct{}) (<-chan kernel.Event, error)
}

// neighbours follows the neighbour and FDB entries' events while on (the
// config keeps a tunnel), and only then: on a busy host they are many.
func (w *watcher) neighbours(on bool) {
	ne, ok := w.k.(neighbourEvents)
	switch {
	case !ok || on == (w.neighStop != nil):
	case on:
		w.neighStop = make(chan struct{})
		var err error
		if w.neigh, err = ne.NeighEvents(w.neighStop); err != nil {
			w.o.Log.Warnf("following the tunnel's entries: %v; the periodic resync repairs them", err)
		}
	default:
		close(w.neighStop)
		w.neigh, w.neighStop = nil, nil
	}
}

func (o *Options) defaults() {
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	if o.Reload == nil {
		o.Reload = make(chan struct{})
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
}

type nopObserver struct{}

func (nopObserver) Passed(string, reconcile.Result, error, time.Duration) {}

// reload loads the config again; a bad one is reported and the old one
// kept. A load that did not find this host (ErrHostUnknown) is kept in
// w.reloadFailed, to be tried again at each address change (Run), and
// reported again only when it fails otherwise.
func (w *watcher) reload(ctx context.Context) {
	cfg, err := w.o.Load()
	last := w.reloadFailed
	w.reloadFailed = nil
	if err != nil {
		if !errors.Is(err, ErrHostUnknown) {
			w.o.Log.Errorf("reloading the config, keeping the old one: %v", err)
			w.notifyStatus("config reload failed, old config kept: " + firstLine(err))
			return
		}
		w.reloadFailed = err
		if last == nil || last.Error() != err.Error() {
			w.o.Log.Errorf("reloading the config, keeping the old one; loading it again when this host's addresses change: %v", err)
			w.notifyStatus("config reload failed, old config kept until this host's addresses change: " + firstLine(err))
		}
		return
	}
	if w.replace(ctx, cfg, "config reload") {
		w.o.Log.Infof("config reloaded: %s", diag.Count(len(cfg.Routes), "route"))
	}
}

// update takes a live source's update: its config, or the news that the
// source cannot plan one (kept in w.unplanned until it can), which a pass
// of the config kept reports.
func (w *watcher) update(ctx context.Context, u Update) {
	if u.Err != nil {
		// The same failure again (a replan asked at a retry, which
		// passes itself) says nothing new: no second pass.
		same := w.unplanned != nil && w.unplanned.Error() == u.Err.Error()
		w.unplanned = u.Err
		if !same {
			w.pass(ctx, "update", 0)
		}
		return
	}
	w.unplanned, w.provisional = nil, u.Provisional
	w.replace(ctx, u.Config, "update")
	if u.Provisional {
		// The address it lacked may have come while it was planned,
		// its event taken before this update: ask once now.
		w.replan()
	}
}

// replan asks the live source to plan again, if its last plan failed or
// was provisional.
func (w *watcher) replan() {
	if (w.unplanned != nil || w.provisional) && w.o.Replan != nil {
		w.o.Replan()
	}
}

// replace applies cfg in place of the config, after why ("config reload");
// a config the apply refuses is reported and the old one kept. It reports
// whether cfg was taken.
func (w *watcher) replace(ctx context.Context, cfg config.Config, why string) bool {
	old, dirty, full := w.kept, maps.Clone(w.dirty), w.full
	w.take(cfg)
	if err := w.pass(ctx, why, 0); apply.IsRefused(err) {
		// Refused before any write: the old config's routes are as they
		// were, and so is what the last passes learnt of them (a heal
		// before the next full pass counts from it), and what events
		// changed since (the pending burst repairs it). The retry the
		// refused pass armed stays: it is the old config's, if it had
		// one due, and a full pass of it otherwise, which costs a pass.
		w.kept, w.dirty, w.full = old, dirty, full
		w.o.Log.Warnf("the new config (%s) was refused; keeping the old one", why)
		w.notifyStatus("new config refused, old config kept: " + firstLine(err))
		return false
	}
	return true
}

// note records what ev, an observed event, changed, and reports whether
// it can have changed the config's routes.
func (w *watcher) note(ev kernel.Event) bool {
	if w.echoes.heard(ev) {
		return false
	}
	keys, full := w.in.dirty(ev)
	for _, k := range keys {
		w.dirty[k] = true
	}
	w.full = w.full || full
	return full || len(keys) > 0
}

// burst coalesces the events that arrive while a pass waits to start.
// It keeps the event it will name, not its description: add runs for
// every event of a burst (thousands in a flap), take once for the pass.
type burst struct {
	clock clock.Clock
	timer clock.Timer
	first time.Time    // of the burst's first event
	named kernel.Event // the event the pass is said to follow
	more  int
}

// settle is how long the events of a burst must pause before its pass
// starts (at most debounce after the first): a lone deleted route is back
// within milliseconds, where waiting out the whole debounce took 30; a
// link's thousands of events still make one pass, or a few.
const settle = 5 * time.Millisecond

// add records ev: the pass starts once events pause for settle, and at
// the latest debounce after the burst's first event.
func (b *burst) add(ev kernel.Event, debounce time.Duration) {
	now := b.clock.Now()
	if b.timer == nil {
		b.timer = b.clock.NewTimer(min(settle, debounce))
		b.first, b.named, b.more = now, ev, 0
		return
	}
	b.more++
	if rank(ev.Kind) >= rank(b.named.Kind) {
		b.named = ev
	}
	b.timer.Reset(max(0, min(settle, b.first.Add(debounce).Sub(now))))
}

// rank orders events by how well they explain a burst: a link flap
// ("link eth0 up") deletes routes and adds addresses, not the other way
// round.
func rank(k kernel.EventKind) int {
	switch k {
	case kernel.LinkChanged:
		return 2
	case kernel.AddrChanged:
		return 1
	}
	return 0
}

func (b *burst) fire() <-chan time.Time {
	if b.timer == nil {
		return nil
	}
	return b.timer.C()
}

// take ends the burst and describes it: "link eth0 up (and 3 more events)",
// naming the last of its most telling events.
func (b *burst) take() string {
	b.timer = nil
	named := b.named.String()
	switch b.more {
	case 0:
		return named
	case 1:
		return named + " (and 1 more event)"
	}
	return fmt.Sprintf("%s (and %d more events)", named, b.more)
}

// firstLine is the first line of err's message (a config error has one
// line per problem).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
