package apply_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/route"
)

// node is one host of the lab: its namespace, its Kernel (counting
// writes), its config and the pod namespace behind it.
type node struct {
	ns, pod *nstest.NS
	k       *counting
	cfg     config.Config
}

// counting is a Kernel that counts its writes.
type counting struct {
	*kernel.Kernel
	writes int
}

func (c *counting) Add(r reconcile.Route) error     { c.writes++; return c.Kernel.Add(r) }
func (c *counting) Replace(r reconcile.Route) error { c.writes++; return c.Kernel.Replace(r) }
func (c *counting) Delete(r reconcile.Route) error  { c.writes++; return c.Kernel.Delete(r) }
func (c *counting) WriteBatch(ws []reconcile.Write, log reconcile.Logger) []error {
	c.writes += len(ws)
	return c.Kernel.WriteBatch(ws, log)
}

func open(t *testing.T, ns *nstest.NS) *counting {
	t.Helper()
	return openWith(t, ns, kernel.Options{})
}

// openWith opens ns's Kernel with o (FullDumps: the path of kernels
// without strict checking).
func openWith(t *testing.T, ns *nstest.NS, o kernel.Options) *counting {
	t.Helper()
	k := nstest.Open(t, ns, func() (*kernel.Kernel, error) { return kernel.OpenWith(o) })
	t.Cleanup(k.Close)
	return &counting{Kernel: k}
}

// lab builds two nodes joined by a veth (10.240.0.1N/24, fd00:240::1N/64)
// and a pod namespace behind node N (10.200.N.2/24, fd00:200:N::2/64), and
// the config each node needs to reach the other's pods; dual adds IPv6.
func lab(t *testing.T, dual bool) [2]*node {
	var n [2]*node
	for i := range n {
		n[i] = &node{ns: nstest.New(t), pod: nstest.New(t)}
		n[i].k = open(t, n[i].ns)
	}
	nstest.Veth(t, n[0].ns, "eth0", n[1].ns, "eth0")
	for i, me := range n {
		id, other := i+1, 2-i
		me.ns.Sysctl(t, "ipv4/ip_forward", "1")
		me.ns.Sysctl(t, "ipv6/conf/all/forwarding", "1")
		nstest.Veth(t, me.ns, "pods", me.pod, "eth0")
		me.ns.IP(t, "addr", "add", fmt.Sprintf("10.240.0.1%d/24", id), "dev", "eth0")
		me.ns.IP(t, "addr", "add", fmt.Sprintf("10.200.%d.1/24", id), "dev", "pods")
		me.pod.IP(t, "addr", "add", fmt.Sprintf("10.200.%d.2/24", id), "dev", "eth0")
		me.pod.IP(t, "route", "add", "default", "via", fmt.Sprintf("10.200.%d.1", id))
		me.cfg = config.Config{Node: fmt.Sprintf("node-%d", id), Metric: route.DefaultMetric}
		me.cfg.Routes = append(me.cfg.Routes, config.Route{
			Destination: netip.MustParsePrefix(fmt.Sprintf("10.200.%d.0/24", other)),
			Gateway:     netip.MustParseAddr(fmt.Sprintf("10.240.0.1%d", other)), Peer: fmt.Sprintf("node-%d", other),
		})
		if !dual {
			continue
		}
		me.ns.IP(t, "addr", "add", fmt.Sprintf("fd00:240::1%d/64", id), "dev", "eth0", "nodad")
		me.ns.IP(t, "addr", "add", fmt.Sprintf("fd00:200:%d::1/64", id), "dev", "pods", "nodad")
		me.pod.IP(t, "addr", "add", fmt.Sprintf("fd00:200:%d::2/64", id), "dev", "eth0", "nodad")
		me.pod.IP(t, "route", "add", "default", "via", fmt.Sprintf("fd00:200:%d::1", id))
		me.cfg.Routes = append(me.cfg.Routes, config.Route{
			Destination: netip.MustParsePrefix(fmt.Sprintf("fd00:200:%d::/64", other)),
			Gateway:     netip.MustParseAddr(fmt.Sprintf("fd00:240::1%d", other)), Peer: fmt.Sprintf("node-%d", other),
		})
	}
	return n
}

func (n *node) apply(t *testing.T, o apply.Options) (reconcile.Result, error) {
	t.Helper()
	if o.Log == nil {
		o.Log = testLog{t}
	}
	return apply.Apply(context.Background(), n.k, n.cfg, o)
}

type testLog struct{ t *testing.T }

func (l testLog) Infof(format string, args ...any) { l.t.Logf(format, args...) }
