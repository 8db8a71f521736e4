package apply_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/internal/nstest"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

// TestWaitForGateway: an uplink address that arrives 500 ms into apply is
// waited for; one that never does fails after the wait, named.
func TestWaitForGateway(t *testing.T) {
	n := lab(t, false)[0]
	n.ns.IP(t, "addr", "del", "10.240.0.11/24", "dev", "eth0")
	go func() {
		time.Sleep(500 * time.Millisecond)
		n.ns.IP(t, "addr", "add", "10.240.0.11/24", "dev", "eth0")
	}()
	start := time.Now()
	res, err := n.apply(t, apply.Options{Wait: 10 * time.Second})
	if err != nil || res.InPlace != 1 {
		t.Fatalf("apply: %s, %v", res.Status(), err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 5*time.Second {
		t.Errorf("apply took %s; want it to end soon after the address came, at 500ms", d)
	}

	n.cfg.Routes[0].Gateway = mustAddr("10.241.0.12")
	start = time.Now()
	_, err = n.apply(t, apply.Options{Wait: time.Second})
	var ue *gateway.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "10.241.0.12") {
		t.Fatalf("apply: %v, want 10.241.0.12 named unreachable", err)
	}
	if !strings.Contains(err.Error(), "replacing route 10.200.2.0/24 via 10.241.0.12 (node-2): network is unreachable") {
		t.Errorf("apply: %v, want the failed replace named", err)
	}
	if d := time.Since(start); d < time.Second || d > nstest.Patience {
		t.Errorf("apply gave up after %s, want after its 1s wait", d)
	}
}
