package apply_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logs"
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
func (c *counting) WriteBatch(ws []reconcile.Write, log logs.Logger) []error {
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

func (l testLog) Infof(format string, args ...any)  { l.t.Logf(format, args...) }
func (l testLog) Warnf(format string, args ...any)  { l.t.Logf("warning: "+format, args...) }
func (l testLog) Errorf(format string, args ...any) { l.t.Logf("error: "+format, args...) }

// TestPodsReachEachOther: apply on both nodes lets the pods talk, over
// IPv4 and IPv6; a second apply writes nothing; check catches a deleted
// route and apply puts it back.
func TestPodsReachEachOther(t *testing.T) {
	for _, dual := range []bool{false, true} {
		name := map[bool]string{false: "ipv4", true: "dual-stack"}[dual]
		t.Run(name, func(t *testing.T) {
			n := lab(t, dual)
			addrs := []string{"10.200.2.2"}
			if dual {
				addrs = append(addrs, "fd00:200:2::2")
			}
			if err := nstest.Reach(t, n[0].pod, n[1].pod, addrs[0]); err == nil {
				t.Fatal("pods reach each other before apply: the lab is wrong")
			}
			for _, me := range n {
				res, err := me.apply(t, apply.Options{Wait: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				if res.Added != len(me.cfg.Routes) {
					t.Errorf("%s", res.Status())
				}
			}
			for _, a := range addrs {
				if err := nstest.Reach(t, n[0].pod, n[1].pod, a); err != nil {
					t.Errorf("pod 1 to pod 2 at %s: %v", a, err)
				}
			}
			me := n[0]
			before, writes := me.ns.IP(t, "route", "show", "table", "all"), me.k.writes
			if _, err := me.apply(t, apply.Options{}); err != nil {
				t.Fatal(err)
			}
			if me.k.writes != writes {
				t.Errorf("re-apply made %d writes, want 0", me.k.writes-writes)
			}
			if after := me.ns.IP(t, "route", "show", "table", "all"); after != before {
				t.Errorf("re-apply changed the tables:\n%s\nbefore:\n%s", after, before)
			}
			check(t, me, true, "in place  10.200.2.0/24 via 10.240.0.12 dev eth0 proto podroutes metric 100  # node-2\n")
			me.ns.IP(t, "route", "del", "10.200.2.0/24")
			check(t, me, false, "missing  10.200.2.0/24 via 10.240.0.12 proto podroutes metric 100  # node-2\n")
			if res, err := me.apply(t, apply.Options{}); err != nil || res.Added != 1 {
				t.Fatalf("apply after a delete: %s, %v", res.Status(), err)
			}
			check(t, me, true, "in place  10.200.2.0/24")
			if err := nstest.Reach(t, n[0].pod, n[1].pod, addrs[0]); err != nil {
				t.Errorf("after the restore: %v", err)
			}
		})
	}
}

// writeTo is the report Check hands its plan to: the text one, into w.
func writeTo(w io.Writer) func(apply.Report) error {
	return func(r apply.Report) error { return r.WriteReport(w) }
}

// check runs Check and expects inSync and the report to start with want.
func check(t *testing.T, n *node, inSync bool, want string) {
	t.Helper()
	var out bytes.Buffer
	got, err := apply.Check(context.Background(), n.k, n.cfg, apply.Options{}, writeTo(&out))
	if err != nil {
		t.Fatal(err)
	}
	if got != inSync || !strings.HasPrefix(out.String(), want) {
		t.Errorf("check: in sync %v, report:\n%s\nwant in sync %v, report starting:\n%s", got, out.String(), inSync, want)
	}
}

// TestOtherOwners: apply, prune and remove never touch another owner's
// route; a conflict is refused and named; --force takes it over.
func TestOtherOwners(t *testing.T) {
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) { testOtherOwners(t, path.o) })
	}
}

// paths are the two ways Kernel reads the table, which must agree: the
// filtered dumps and lookups, and the whole table (kernels without strict
// checking).
var paths = []struct {
	name string
	o    kernel.Options
}{{"filtered", kernel.Options{}}, {"whole table", kernel.Options{FullDumps: true}}}

func testOtherOwners(t *testing.T, o kernel.Options) {
	n := lab(t, false)[0]
	n.k = openWith(t, n.ns, o)
	n.ns.IP(t, "route", "add", "10.100.0.0/16", "via", "10.240.0.99", "proto", "static")
	n.ns.IP(t, "route", "add", "10.200.2.0/24", "via", "10.240.0.98", "proto", "static", "metric", "200")
	foreign := func() string { return n.ns.IP(t, "route", "show", "proto", "static") } // without "proto static"
	all := foreign()

	_, err := n.apply(t, apply.Options{})
	want := "route 10.200.2.0/24 via 10.240.0.12 (node-2): another owner (static) holds the destination: " +
		"10.200.2.0/24 via 10.240.0.98 dev eth0 proto static metric 200"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("apply: %v, want the conflict named: %s", err, want)
	}
	if got := foreign(); got != all {
		t.Errorf("apply touched other owners' routes:\n%s\nwant:\n%s", got, all)
	}
	check(t, n, false, "held by another owner  10.200.2.0/24 via 10.240.0.12")

	// A stale route of ours goes; theirs stays.
	n.cfg.Routes = append(n.cfg.Routes, config.Route{
		Destination: mustPrefix("10.200.3.0/24"), Gateway: mustAddr("10.240.0.13"), Peer: "node-3"})
	if _, err := n.apply(t, apply.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := foreign(); got != "10.100.0.0/16 via 10.240.0.99 dev eth0 \n" {
		t.Errorf("--force left or took the wrong routes:\n%s", got)
	}
	n.cfg.Routes = n.cfg.Routes[:1]
	if res, err := n.apply(t, apply.Options{}); err != nil || res.Pruned != 1 {
		t.Fatalf("prune: %s, %v", res.Status(), err)
	}
	n.ns.IP(t, "route", "add", "10.200.2.0/24", "via", "10.240.0.98", "proto", "static", "metric", "200")
	if _, err := apply.Remove(context.Background(), n.k, testLog{t}); err != nil {
		t.Fatal(err)
	}
	if got := foreign(); got != all {
		t.Errorf("remove touched other owners' routes:\n%s\nwant:\n%s", got, all)
	}
	if got := n.ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("remove left:\n%s", got)
	}
}

// TestInterruptedApplyExplained: an apply whose context is done in the
// middle of its writes (SIGTERM) stops between two chunks; check then
// accounts for every route present, and the next apply finishes the job.
// The context is canceled from the write callback, at a known write, so
// the test does not depend on a signal's timing.
func TestInterruptedApplyExplained(t *testing.T) {
	const n = 5000
	ns := nstest.New(t)
	peer := nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.241.0.10/16", "dev", "eth0")
	me := &node{ns: ns, k: open(t, ns), cfg: config.Config{Node: "node-0", Metric: route.DefaultMetric}}
	for i := range n { // distinct gateways: the slow case for the kernel
		me.cfg.Routes = append(me.cfg.Routes, config.Route{
			Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + i/256), byte(i % 256), 0}), 24),
			Gateway:     netip.AddrFrom4([4]byte{10, 241, byte(1 + i/250), byte(1 + i%250)}),
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	written := 0
	res, err := apply.Apply(ctx, me.k, me.cfg, apply.Options{Log: discard{}, Wrote: func(reconcile.Write) {
		if written++; written == 1500 {
			cancel()
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "interrupted with") || res.InPlace != written {
		t.Fatalf("%s after %d writes; %v", res.Status(), written, err)
	}
	var out bytes.Buffer
	if _, err := apply.Check(context.Background(), me.k, me.cfg, apply.Options{}, writeTo(&out)); err != nil {
		t.Fatal(err)
	}
	inPlace, missing := strings.Count(out.String(), "in place "), strings.Count(out.String(), "missing ")
	if inPlace != res.InPlace || inPlace+missing != n || inPlace == n {
		t.Errorf("check: %d in place, %d missing; want %d and %d", inPlace, missing, res.InPlace, n-res.InPlace)
	}
	if present := strings.Count(ns.IP(t, "route", "show", "proto", "157"), "\n"); present != res.InPlace {
		t.Errorf("%d routes of podroutes' in the table, want %d", present, res.InPlace)
	}
	if res, err := apply.Apply(context.Background(), me.k, me.cfg, apply.Options{Log: discard{}}); err != nil || res.InPlace != n {
		t.Errorf("apply again: %s, %v", res.Status(), err)
	}
}

// TestInlineConvertsNexthopRoutes: the upgrade path of podroutes' networkd
// drop-in. Routes an apply made through nexthop objects are, once the
// Kernel writes inline (the drop-in turned on), not in place for check
// but each through a nexthop object, and apply replaces them with routes
// that carry their gateway, IPv4 and IPv6, and deletes the objects;
// check is then in sync.
func TestInlineConvertsNexthopRoutes(t *testing.T) {
	n := lab(t, true)[0]
	if _, err := n.apply(t, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	ours := func() string {
		return n.ns.IP(t, "route", "show", "proto", "157") + n.ns.IP(t, "-6", "route", "show", "proto", "157")
	}
	if got := ours(); strings.Count(got, " nhid ") != 2 {
		t.Fatalf("without Inline, apply installed:\n%s\nwant both routes through nexthop objects", got)
	}
	n.k = openWith(t, n.ns, kernel.Options{Inline: true})
	check(t, n, false, "through a nexthop object  10.200.2.0/24 via 10.240.0.12 proto podroutes metric 100  # node-2\n")
	res, err := n.apply(t, apply.Options{})
	if err != nil || res.Replaced != 2 {
		t.Fatalf("inline apply: %s, %v; want 2 replaced", res.Status(), err)
	}
	const want = "10.200.2.0/24 via 10.240.0.12 dev eth0 metric 100 \nfd00:200:2::/64 via fd00:240::12 dev eth0 metric 100 pref medium\n"
	if got := ours(); got != want {
		t.Errorf("inline apply left:\n%s\nwant:\n%s", got, want)
	}
	if got := n.ns.IP(t, "nexthop", "show", "proto", "157"); got != "" {
		t.Errorf("inline apply left nexthop objects:\n%s", got)
	}
	check(t, n, true, "in place  10.200.2.0/24 via 10.240.0.12 dev eth0 proto podroutes metric 100  # node-2\n")
}
