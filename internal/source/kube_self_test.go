//go:build !nokube

package source

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/notify"
)

// TestKubeSelfAddressFirst: this host is found among the Nodes as in an
// inventory file, the address first: a hostname naming another Node than
// the address is refused, planned neither as one of them nor as a guest;
// a hostname is taken only when the wait ends with no Node's address here.
func TestKubeSelfAddressFirst(t *testing.T) {
	var log strings.Builder
	h := &bootHost{hostname: "node-0", looks: [][]string{nil, {"10.240.0.21"}}}
	s := &Source{}
	n, err := (&kubeSource{}).planFrom(context.Background(), s, selfInventory, Host{Local: h.local, Changes: h.changes, Log: notify.NewLogger(&log)}, time.Hour)
	if err == nil || !strings.Contains(err.Error(), `by address it is node-1 (line 2, 10.240.0.21), by its hostname "node-0" it is node-0`) {
		t.Errorf("planned %q, %v; want the disagreement refused", n.Config.Node, err)
	}

	h = &bootHost{hostname: "node-0", looks: [][]string{{"192.168.1.5"}}}
	s = &Source{}
	k := &kubeSource{}
	n, err = k.planFrom(context.Background(), s, selfInventory, Host{Local: h.local, Changes: h.changes, Log: notify.NewLogger(&log)}, time.Nanosecond)
	if err != nil || n.Config.Node != "node-0" || k.guest != "" {
		t.Errorf("planned %q (guest %q), %v; want node-0 by its hostname", n.Config.Node, k.guest, err)
	}
}
