package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/route"
)

// moveLab is node-1 (eth0 10.240.0.11/24) and node-2 (10.240.0.12/24),
// with a pod behind node-2 at 10.200.2.2, and node-1's config: the route
// to node-2's pods, without a device.
type moveLab struct {
	node1, node2, pod *nstest.NS
	n                 *node
}

func newMoveLab(t *testing.T) *moveLab {
	l := &moveLab{node1: nstest.New(t), node2: nstest.New(t)}
	nstest.Veth(t, l.node1, "eth0", l.node2, "eth0")
	l.node1.IP(t, "addr", "add", "10.240.0.11/24", "dev", "eth0")
	l.node2.IP(t, "addr", "add", "10.240.0.12/24", "dev", "eth0")
	l.pod = nstest.Pod(t, l.node2, "10.200.2.1", "10.200.2.2/24")
	l.n = &node{ns: l.node1, k: open(t, l.node1), cfg: config.Config{Node: "node-1", Metric: route.DefaultMetric,
		Routes: []config.Route{{Destination: mustPrefix("10.200.2.0/24"), Gateway: mustAddr("10.240.0.12"), Peer: "node-2"}}}}
	if _, err := l.n.apply(t, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := nstest.Reach(t, l.node1, l.pod, "10.200.2.2"); err != nil {
		t.Fatalf("node-1 cannot reach the pod after apply: %v", err)
	}
	return l
}

// moveToEth1 moves node-1's address from eth0 to eth1, a second link to
// node-2, and node-2's too; eth0 stays up at both ends, but node-2 no
// longer answers for its address there (arp_ignore 1: only on the link
// that holds it), as a host whose old uplink now leads elsewhere.
func (l *moveLab) moveToEth1(t *testing.T) {
	nstest.Veth(t, l.node1, "eth1", l.node2, "eth1")
	l.node2.Sysctl(t, "ipv4/conf/eth0/arp_ignore", "1")
	l.node2.IP(t, "addr", "del", "10.240.0.12/24", "dev", "eth0")
	l.node2.IP(t, "addr", "add", "10.240.0.12/24", "dev", "eth1")
	l.node1.IP(t, "addr", "del", "10.240.0.11/24", "dev", "eth0")
	l.node1.IP(t, "addr", "add", "10.240.0.11/24", "dev", "eth1")
	l.node1.IP(t, "neigh", "flush", "dev", "eth0")
}

var moves = []struct {
	name, link string
	move       func(*moveLab, *testing.T)
}{
	{"onto a bridge", "br0", func(l *moveLab, t *testing.T) { nstest.MoveToBridge(t, l.node1, "eth0", "br0", "10.240.0.11/24") }},
	{"to another link", "eth1", (*moveLab).moveToEth1},
}

// TestUplinkAddressMoves: when node-1's address moves off the link its
// routes leave by (onto a bridge, or to another link), those routes carry
// no traffic; check says so, naming the link that reaches the gateway
// now, and apply repoints them there.
func TestUplinkAddressMoves(t *testing.T) {
	for _, m := range moves {
		t.Run(m.name, func(t *testing.T) {
			l := newMoveLab(t)
			m.move(l, t)
			if err := nstest.Reach(t, l.node1, l.pod, "10.200.2.2"); err == nil {
				t.Fatal("the pod is reachable through the old link; the lab is wrong")
			}
			check(t, l.n, false, "different device  10.200.2.0/24 via 10.240.0.12 dev "+m.link+" proto podroutes metric 100  # node-2\n"+
				"  kernel has  10.200.2.0/24 via 10.240.0.12 dev eth0 proto podroutes metric 100\n")
			res, err := l.n.apply(t, apply.Options{})
			if err != nil || res.Replaced != 1 {
				t.Fatalf("apply: %s, %v; want the route replaced", res.Status(), err)
			}
			check(t, l.n, true, "in place  10.200.2.0/24 via 10.240.0.12 dev "+m.link+" ")
			if err := nstest.Reach(t, l.node1, l.pod, "10.200.2.2"); err != nil {
				t.Errorf("after apply: %v", err)
			}
			if got := l.node1.IP(t, "nexthop", "show", "proto", "157"); !contains(got, "dev "+m.link) || contains(got, "dev eth0 ") {
				t.Errorf("nexthops after apply:\n%s\nwant one via %s, none via eth0", got, m.link)
			}
		})
	}
}

// TestGatewayUnreachableReported: a route whose gateway no link reaches
// any more (the address is gone) is reported by check, not passed as in
// place, and apply names the gateway.
func TestGatewayUnreachableReported(t *testing.T) {
	l := newMoveLab(t)
	l.node1.IP(t, "addr", "del", "10.240.0.11/24", "dev", "eth0")
	check(t, l.n, false, "gateway unreachable  10.200.2.0/24 via 10.240.0.12 dev eth0 proto podroutes metric 100  # node-2, no up link has an address on 10.240.0.12's subnet\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := apply.Apply(ctx, l.n.k, l.n.cfg, apply.Options{Log: testLog{t}})
	if err == nil || !contains(err.Error(), "gateway 10.240.0.12 unreachable") {
		t.Errorf("apply: %v, want the gateway named unreachable", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
