package watch

import (
	"net/netip"
	"time"

	"k8s.io/utils/clock"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/route"
)

// echoTTL is how long a write's own event is waited for. The kernel sends
// it at once; it arrives after the pass, once the watcher reads again.
const echoTTL = 2 * time.Second

// echoes are the route events podroutes' own writes will cause: each is
// recognized, exactly (key, add or delete, gateway, metric), and
// starts no heal, which would only find the route as written. Another
// owner's change to the same destination differs in one of those and is
// seen.
type echoes struct {
	clock clock.Clock
	m     map[echo]time.Time
	// swept is when the echoes that never came were last forgotten: at
	// most once a TTL, not at every event (a link going down deletes every
	// route through it at once, the other owners' too).
	swept time.Time
}

type echo struct {
	key     route.Key
	deleted bool
	gw      netip.Addr
	metric  uint32
}

// expect records the event write w will cause.
func (e *echoes) expect(w reconcile.Write) {
	if e.m == nil {
		e.m = map[echo]time.Time{}
	}
	e.m[echo{w.Route.Key(), w.Op == reconcile.Delete, w.Route.Gw, w.Route.Metric}] = e.clock.Now().Add(echoTTL)
}

// heard reports whether ev is the echo of a write, forgetting it; now and
// then it forgets the echoes that never came too.
func (e *echoes) heard(ev kernel.Event) bool {
	if ev.Kind != kernel.RouteChanged || len(e.m) == 0 {
		return false
	}
	now := e.clock.Now()
	k := echo{ev.Route.Key(), ev.Deleted, ev.Route.Gw, ev.Route.Metric}
	until, ok := e.m[k]
	delete(e.m, k)
	if now.Sub(e.swept) > echoTTL {
		e.swept = now
		for k, until := range e.m {
			if now.After(until) {
				delete(e.m, k)
			}
		}
	}
	return ok && !now.After(until)
}
