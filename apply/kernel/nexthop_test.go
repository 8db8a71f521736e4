package kernel_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
)

type lines []string

func (l *lines) Infof(format string, args ...any)  { *l = append(*l, fmt.Sprintf(format, args...)) }
func (l *lines) Warnf(format string, args ...any)  { l.Infof("warning: "+format, args...) }
func (l *lines) Errorf(format string, args ...any) { l.Infof("error: "+format, args...) }

func wants(routes ...string) []reconcile.Want {
	ws := make([]reconcile.Want, len(routes))
	for i, s := range routes {
		ws[i] = reconcile.Want{Route: fake.MustParse(s)}
	}
	return ws
}

// execute is a pass that must succeed: it returns the plan and the log.
func execute(t *testing.T, k *kernel.Kernel, want []reconcile.Want) (reconcile.Plan, lines) {
	t.Helper()
	p, res, log := pass(t, k, want, false)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	return p, log
}

// TestNexthops: routes go through one nexthop object per gateway and dump
// with their gateway; a route with its gateway inline (as networkd adds
// it) is in place too; a nexthop no route uses any more is deleted, and
// remove leaves none.
func TestNexthops(t *testing.T) {
	ns, k := host(t)
	want := wants(
		"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100",
		"10.200.3.0/24 via 10.240.0.22 proto podroutes metric 100",
		"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100",
		"10.200.9.0/24 via 192.168.9.1 dev eth0 proto podroutes metric 100 onlink",
	)
	execute(t, k, want)
	if got := ns.IP(t, "route", "show", "proto", "157"); strings.Count(got, "nhid") != 4 {
		t.Errorf("routes not through nexthop objects:\n%s", got)
	}
	if got := ns.IP(t, "nexthop", "show", "proto", "157"); strings.Count(got, "\n") != 4 {
		t.Errorf("want 4 nexthops, one per gateway:\n%s", got)
	}
	if got, want := table(t, k), `10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100
10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100
10.200.3.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100
10.200.9.0/24 via 192.168.9.1 dev eth0 proto podroutes metric 100 onlink
fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100
`; got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}

	// networkd's route, gateway inline, is as good as ours; the nexthop
	// it replaced goes.
	ns.IP(t, "route", "replace", "10.200.1.0/24", "via", "10.240.0.21", "proto", "157", "metric", "100")
	p, log := execute(t, k, want)
	if p.Writes() != 0 || !p.InSync() || !strings.Contains(strings.Join(log, "\n"), "deleted nexthop 1 via 10.240.0.21 dev eth0") {
		t.Errorf("inline route not in place (%d writes) or nexthop 1 kept; log:\n%s", p.Writes(), strings.Join(log, "\n"))
	}

	// 10.200.2.0/24 moves to another gateway and 10.200.3.0/24 goes: the
	// nexthop of .22 is then unused.
	want[1].Route.Gw = netip.MustParseAddr("10.240.0.99")
	_, log = execute(t, k, append(want[1:2:2], want[3:]...))
	if got := strings.Join(log, "\n"); !strings.Contains(got, "deleted nexthop 2 via 10.240.0.22 dev eth0") {
		t.Errorf("log:\n%s\nwant the nexthop of 10.240.0.22 deleted", got)
	}
	if got := ns.IP(t, "nexthop", "show", "proto", "157"); strings.Contains(got, "10.240.0.2") {
		t.Errorf("unused nexthops left:\n%s", got)
	}

	have, _ := reconcile.Have(context.Background(), k, want)
	if err := reconcile.Execute(context.Background(), k, reconcile.Removal(have), &log, nil).Err(); err != nil {
		t.Fatal(err)
	}
	if got := ns.IP(t, "route", "show", "proto", "157") + ns.IP(t, "nexthop", "show", "proto", "157"); got != "" {
		t.Errorf("after remove:\n%s", got)
	}
}

// TestRefusedNexthopLoggedOnce: why a route carries its gateway (the
// kernel refused its nexthop object: IPv6 is off on the device) is logged
// once however often the route is tried again, as watch retries do.
func TestRefusedNexthopLoggedOnce(t *testing.T) {
	ns, k := host(t)
	ns.Sysctl(t, "ipv6/conf/eth0/disable_ipv6", "1")
	want := wants("fd00:200:9::/64 via fd00:999::1 dev eth0 proto podroutes metric 100 onlink")
	var log lines
	for range 3 {
		have, err := reconcile.Have(context.Background(), k, want)
		if err != nil {
			t.Fatal(err)
		}
		res := reconcile.Execute(context.Background(), k, reconcile.Diff(want, have, false), &log, nil)
		if res.Err() == nil {
			t.Fatal("an IPv6 route went in on a link without IPv6; the test is wrong")
		}
	}
	n := 0
	for _, l := range log {
		if strings.Contains(l, "refused nexthop objects") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, strings.Join(log, "\n"))
	}
}

// TestDeleteGoneKeepsNexthops: a delete of another owner's route that is
// gone already, which the Kernel confirms by reading that owner's routes
// again, leaves the users of podroutes' nexthop objects counted: Finish
// then deletes no nexthop a route of podroutes' goes through (deleting it
// would take the route with it).
func TestDeleteGoneKeepsNexthops(t *testing.T) {
	ns, k := host(t)
	execute(t, k, wants("10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"))
	ns.IP(t, "route", "add", "10.200.5.0/24", "via", "10.240.0.25", "proto", "static")
	theirs := fake.MustParse("10.200.5.0/24 via 10.240.0.25 dev eth0 proto static")
	for range 2 { // the second finds it gone
		if err := k.Delete(theirs); err != nil {
			t.Fatal(err)
		}
	}
	var log lines
	if err := k.Finish(&log); err != nil {
		t.Fatal(err)
	}
	if got := ns.IP(t, "route", "show", "proto", "157"); !strings.Contains(got, "10.200.1.0/24 nhid") {
		t.Errorf("podroutes' route gone after Finish:\n%s\nlog: %q", got, log)
	}
}

// TestNexthopsGoneBehindBack: the kernel deletes nexthop objects without a
// word when their link loses its carrier (an uplink bridge whose only port
// goes down), and the routes through them. The next writes of those routes
// (by a pass that read the table before) must not fail for the ids k
// remembers: k reads the nexthops again and writes them at once (the soak saw a watcher whose retry, backed off by a
// conflict, came a minute later leave every route missing till then).
func TestNexthopsGoneBehindBack(t *testing.T) {
	ns, k := host(t)
	want := wants(
		"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100",
	)
	execute(t, k, want)
	ns.IP(t, "nexthop", "flush")
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Fatalf("routes left by the flush:\n%s", got)
	}
	// The writes of a pass that read the table before the flush.
	for _, w := range want {
		if err := k.Add(w.Route); err != nil {
			t.Errorf("adding %s after its nexthop went: %v", w.Route, err)
		}
	}
	if got := ns.IP(t, "route", "show", "proto", "157"); strings.Count(got, "nhid") != 2 {
		t.Errorf("routes not back through nexthop objects:\n%s", got)
	}
}
