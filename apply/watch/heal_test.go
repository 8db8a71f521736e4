package watch

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// passes records what the Observer is told, a pass each.
type passes []time.Duration

func (p *passes) Passed(_ string, _ reconcile.Result, _ error, healed time.Duration) {
	*p = append(*p, healed)
}

type quiet struct{}

func (quiet) Ready(string) error  { return nil }
func (quiet) Status(string) error { return nil }
func (quiet) Watchdog() error     { return nil }

// dst is the destination of oneRoute, and dstKey its route's key.
var (
	dst    = netip.MustParsePrefix("10.200.1.0/24")
	dstKey = apply.Key(config.Route{Destination: dst})
)

// oneRoute is a config with a route to dst, via eth0's peer.
func oneRoute(dst netip.Prefix) config.Config {
	return config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
		{Destination: dst, Gateway: netip.MustParseAddr("10.240.0.21")},
	}}
}

// started is a watcher of oneRoute(dst) in a namespace with eth0
// 10.240.0.10/24, after its first pass, and what its Observer is told.
func started(t *testing.T) (*nstest.NS, *watcher, *passes) {
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.240.0.10/24", "dev", "eth0")
	k := nstest.Open(t, ns, kernel.Open)
	t.Cleanup(k.Close)
	seen := &passes{}
	o := Options{Log: &logtest.Lines{T: t}, Notify: quiet{}, Observer: seen}
	o.defaults()
	w := newWatcher(k, oneRoute(dst), o)
	if err := w.pass(context.Background(), "start", 0); err != nil {
		t.Fatal(err)
	}
	return ns, w, seen
}

// TestHealPasses: a heal is one pass, told to the Observer with its time
// when it wrote and with 0 when it found nothing to repair; a heal whose
// destinations a full pass (a resync, a retry) already looked at since
// their events makes no pass at all. Called step by step, without Run's
// timers.
func TestHealPasses(t *testing.T) {
	ns, w, seen := started(t)
	ctx := context.Background()
	w.dirty[dstKey] = true // an event came, then a resync ran before the burst's heal
	if err := w.pass(ctx, "periodic resync", 0); err != nil {
		t.Fatal(err)
	}
	w.heal(ctx, "route 10.200.1.0/24 changed", time.Now())
	if len(*seen) != 2 {
		t.Fatalf("after start, resync and a heal with nothing left: %d passes %v, want 2", len(*seen), *seen)
	}

	w.dirty[dstKey] = true // an event of a route that is as wanted
	w.heal(ctx, "route 10.200.1.0/24 changed", time.Now())
	ns.IP(t, "route", "del", dst.String())
	w.dirty[dstKey] = true
	w.heal(ctx, "route 10.200.1.0/24 deleted", time.Now().Add(-time.Second))
	if len(*seen) != 4 || (*seen)[2] != 0 || (*seen)[3] < time.Second {
		t.Errorf("heal times told %v; want [0 0 0 >=1s]: a heal that wrote nothing is 0, one that wrote counts from its first event", *seen)
	}
	if got := ns.IP(t, "route", "show", dst.String()); got == "" {
		t.Error("the heal did not restore the route")
	}
}

// TestRefusedKeepsPending: a new config refused gives back the old one
// with the repairs its events asked for still pending, for the burst's
// heal to make.
func TestRefusedKeepsPending(t *testing.T) {
	ns, w, _ := started(t)
	ctx := context.Background()
	ns.IP(t, "route", "del", dst.String())
	w.dirty[dstKey] = true
	if w.replace(ctx, oneRoute(netip.MustParsePrefix("10.240.0.0/25")), "config reload") {
		t.Fatal("a config routing the connected subnet was taken")
	}
	if !w.dirty[dstKey] || len(w.cfg.Routes) != 1 || w.cfg.Routes[0].Destination != dst {
		t.Fatalf("after the refusal: config %v, pending %v; want the old config and %s pending", w.cfg.Routes, w.dirty, dst)
	}
	w.heal(ctx, "route 10.200.1.0/24 deleted", time.Now())
	if got := ns.IP(t, "route", "show", dst.String()); got == "" {
		t.Error("the heal after the refusal did not restore the route")
	}
}

// TestForeignWinnerStays: another owner's route that wins over podroutes'
// own at a wanted destination (added after it, with a lower metric) is a
// conflict at its heal and stays one at every full pass after (a retry,
// a resync): never "resolved", never counted in place, while it is there.
func TestForeignWinnerStays(t *testing.T) {
	ns, w, _ := started(t)
	log := &logtest.Lines{T: t}
	w.o.Log = log
	ctx := context.Background()
	ns.IP(t, "route", "add", dst.String(), "via", "10.240.0.99", "proto", "static", "metric", "50")
	w.dirty[dstKey] = true
	w.heal(ctx, "route 10.200.1.0/24 added", time.Now())
	for _, why := range []string{"retry", "periodic resync", "retry"} {
		err := w.pass(ctx, why, 0)
		if err == nil || !strings.Contains(err.Error(), "another owner (static) holds the destination") {
			t.Fatalf("%s: error %v; want the static route named as a conflict", why, err)
		}
		if w.counts[reconcile.Held] != 1 || w.counts[reconcile.InPlace] != 0 {
			t.Fatalf("%s: counts %v; want 1 held by another owner, none in place", why, w.counts)
		}
	}
	if n := log.Count("resolved"); n != 0 {
		t.Errorf("logged 'resolved' %d times while the static route wins; the log:\n%s", n, log)
	}
	if n := log.Count("another owner (static)"); n != 1 {
		t.Errorf("the conflict logged %d times; want once", n)
	}
	ns.IP(t, "route", "del", dst.String(), "proto", "static")
	if err := w.pass(ctx, "retry", 0); err != nil || w.counts[reconcile.InPlace] != 1 {
		t.Fatalf("after the static route went: error %v, counts %v; want in place", err, w.counts)
	}
	if n := log.Count("resolved"); n != 1 {
		t.Errorf("'resolved' logged %d times after the static route went; want once", n)
	}
}
