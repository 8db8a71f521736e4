package watch

import (
	"net/netip"
	"time"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
)

// echoTTL is how long a write's own event is waited for. The kernel sends
// it at once; it arrives after the pass, once the watcher reads again.
const echoTTL = 2 * time.Second

// echoes are the route events podroutes' own writes will cause: each is
// recognized, exactly (destination, add or delete, gateway, metric), and
// starts no heal, which would only find the route as written. Another
// owner's change to the same destination differs in one of those and is
// seen.
type echoes map[echo]time.Time

type echo struct {
	dst     netip.Prefix
	deleted bool
	gw      netip.Addr
	metric  uint32
}

// expect records the event write w will cause.
func (e echoes) expect(w reconcile.Write) {
	e[echo{w.Route.Dst, w.Op == reconcile.Delete, w.Route.Gw, w.Route.Metric}] = time.Now().Add(echoTTL)
}

// heard reports whether ev is the echo of a write, forgetting it; it
// forgets the echoes that never came too.
func (e echoes) heard(ev kernel.Event) bool {
	if ev.Kind != kernel.RouteChanged {
		return false
	}
	now := time.Now()
	k := echo{ev.Route.Dst, ev.Deleted, ev.Route.Gw, ev.Route.Metric}
	until, ok := e[k]
	delete(e, k)
	for k, until := range e {
		if now.After(until) {
			delete(e, k)
		}
	}
	return ok && !now.After(until)
}
