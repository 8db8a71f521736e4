package kernel_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/route"
)

// scenario is a main table built with ip (and podroutes' own writes),
// and what a pass of podroutes must leave of it.
type scenario struct {
	name string
	// setup are the steps that build the table: `ip` arguments, or
	// "podroutes ROUTE" for a route podroutes adds itself (through its
	// nexthop object).
	setup []string
	want  []string
	force bool
	// held: another owner keeps a wanted destination (no force): the
	// pass reports the conflict, and the wanted route need not be in.
	held bool
	// keep are texts `ip route show` (both families) must still show
	// after the pass: another owner's route that a dump cannot name
	// apart (a hop of a multipath route).
	keep []string
}

// TestKernelModel runs a pass, then a second one, over tables where
// reconcile's model of the kernel (which route an add finds taken, a
// replace swaps, a delete takes) may differ from what the kernel does:
// afterwards the wanted routes are in, no route of another owner changed
// (but where force takes a destination over), the pass says so only if
// the table is as wanted, and the second pass writes nothing.
func TestKernelModel(t *testing.T) {
	for _, sc := range modelScenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t) })
	}
}

var modelScenarios = []scenario{
	{
		name: "v4 blackhole appended after ours",
		setup: []string{
			"podroutes 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
			"route append blackhole 10.200.1.0/24 proto 157 metric 100",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v6 blackhole appended after ours",
		setup: []string{
			"podroutes fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100",
			"-6 route append blackhole fd00:200:1::/64 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
	},
	{
		name: "v4 inline appended after ours",
		setup: []string{
			"podroutes 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
			"route append 10.200.1.0/24 via 10.240.0.22 proto 157 metric 100",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v6 inline appended after ours",
		setup: []string{
			"podroutes fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100",
			"-6 route append fd00:200:1::/64 via fd00:240::22 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
	},
	{
		name: "v4 dev route appended after ours",
		setup: []string{
			"podroutes 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
			"route append 10.200.1.0/24 dev eth0 proto 157 metric 100",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v6 dev route appended after ours",
		setup: []string{
			"podroutes fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100",
			"-6 route append fd00:200:1::/64 dev eth0 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
	},
	{
		name: "v4 multipath appended after networkd's inline",
		setup: []string{
			"route add 10.200.1.0/24 via 10.240.0.21 proto 157 metric 100",
			"route append 10.200.1.0/24 proto 157 metric 100 nexthop via 10.240.0.22 nexthop via 10.240.0.23",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v4 multipath appended after ours",
		setup: []string{
			"podroutes 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
			"route append 10.200.1.0/24 proto 157 metric 100 nexthop via 10.240.0.22 nexthop via 10.240.0.23",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		// Both siblings are podroutes', but a dump cannot tell that from
		// the next scenario's: the multipath route is left, as another
		// owner's, and said to be.
		name: "v6 inline appended to networkd's inline: one multipath",
		setup: []string{
			"-6 route add fd00:200:1::/64 via fd00:240::21 proto 157 metric 100",
			"-6 route append fd00:200:1::/64 via fd00:240::22 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		held: true,
		keep: []string{"fd00:240::22"},
	},
	{
		name: "v6 another owner's inline appended to networkd's: one multipath",
		setup: []string{
			"-6 route add fd00:200:1::/64 via fd00:240::21 proto 157 metric 100",
			"-6 route append fd00:200:1::/64 via fd00:240::99 proto static metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		held: true,
		keep: []string{"fd00:240::99"},
	},
	{
		name: "v6 another owner's inline, ours appended: one multipath",
		setup: []string{
			"-6 route add fd00:200:1::/64 via fd00:240::99 proto static metric 100",
			"-6 route append fd00:200:1::/64 via fd00:240::21 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		held: true,
		keep: []string{"fd00:240::99"},
	},
	{
		name: "v6 stale inline before a dev route: replace takes the dev route",
		setup: []string{
			"-6 route add fd00:200:1::/64 via fd00:240::22 proto 157 metric 100",
			"-6 route append fd00:200:1::/64 dev eth0 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
	},
	{
		name: "v4 stale TOS route beside ours",
		setup: []string{
			"podroutes 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
			"route add 10.200.1.0/24 tos 0x10 via 10.240.0.21 proto 157 metric 100",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v6 stale source route beside ours",
		setup: []string{
			"podroutes fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100",
			"-6 route add fd00:200:1::/64 from fd00:1::/64 via fd00:240::21 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
	},
	{
		name: "v6 another owner's unreachable at the key",
		setup: []string{
			"-6 route add unreachable fd00:200:1::/64 proto static metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		held: true,
	},
	{
		name: "v6 another owner's throw at the key",
		setup: []string{
			"-6 route add throw fd00:200:1::/64 proto static metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		held: true,
	},
	{
		name: "v6 another owner's prohibit at the key, force",
		setup: []string{
			"-6 route add prohibit fd00:200:1::/64 proto static metric 100",
		},
		want:  []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		force: true,
	},
	{
		name: "v6 another owner's unreachable at the key, force",
		setup: []string{
			"-6 route add unreachable fd00:200:1::/64 proto static metric 100",
		},
		want:  []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		force: true,
	},
	{
		name: "v4 stale dev route prepended before networkd's inline",
		setup: []string{
			"route add 10.200.1.0/24 via 10.240.0.21 proto 157 metric 100",
			"route prepend 10.200.1.0/24 dev eth0 proto 157 metric 100",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v4 stale route of ours at metric 0, same gateway",
		setup: []string{
			"podroutes 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
			"route add 10.200.1.0/24 dev eth0 proto 157 metric 0",
		},
		want: []string{"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"},
	},
	{
		name: "v6 another owner's route at another metric, ours missing",
		setup: []string{
			"-6 route add fd00:200:1::/64 via fd00:240::99 proto static metric 200",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		held: true,
		keep: []string{"fd00:240::99"},
	},
	{
		name: "v6 onlink wanted, networkd's inline onlink in place",
		setup: []string{
			"-6 route add fd00:200:9::/64 via fd00:999::1 dev eth0 proto 157 metric 100 onlink",
		},
		want: []string{"fd00:200:9::/64 via fd00:999::1 dev eth0 proto podroutes metric 100 onlink"},
	},
	{
		name: "v6 stale multipath of ours alone",
		setup: []string{
			"-6 route add fd00:200:2::/64 via fd00:240::21 proto 157 metric 100",
			"-6 route append fd00:200:2::/64 via fd00:240::22 proto 157 metric 100",
		},
		want: []string{"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100"},
		keep: []string{"fd00:200:2::/64"},
	},
}

func (sc scenario) run(t *testing.T) {
	ns, k := host(t)
	for _, step := range sc.setup {
		if r, ok := strings.CutPrefix(step, "podroutes "); ok {
			add(t, k, r)
			continue
		}
		ns.IP(t, strings.Fields(step)...)
	}
	show := func() string {
		return ns.IP(t, "-4", "route", "show", "table", "main") + ns.IP(t, "-6", "route", "show", "table", "main")
	}
	before := show()
	others := func() []string { return othersRoutes(t, k, sc) }
	theirs := others()
	want := wants(sc.want...)

	res, log := pass(t, k, want, sc.force)
	after := show()
	report := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		t.Logf("before:\n%s\nlog:\n%s\nerrors: %v\nafter:\n%s", before, strings.Join(log, "\n"), res.Err(), after)
	}
	all, err := k.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sc.held {
		for _, w := range want {
			if !slices.ContainsFunc(all, func(r reconcile.Route) bool { return r.Satisfies(w.Route) }) {
				report("the wanted route %s is not in the table", w.Route)
			}
		}
	} else if res.Err() == nil {
		report("another owner holds the destination, and the pass reported no conflict")
	}
	t.Logf("pass: %v", res.Err())
	if got := others(); !slices.Equal(got, theirs) {
		report("another owner's routes changed: %q, were %q", got, theirs)
	}
	for _, s := range sc.keep {
		if !strings.Contains(after, s) {
			report("%s is gone", s)
		}
	}
	have, err := reconcile.Have(context.Background(), k, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := reconcile.Diff(want, have, sc.force); res.Err() == nil && !p.InSync() {
		var b strings.Builder
		p.WriteReport(&b)
		report("the pass reported success, but the table is not as wanted:\n%s", b.String())
	}
	res2, log2 := pass(t, k, want, sc.force)
	if len(log2) > 0 {
		report("the second pass wrote:\n%s", strings.Join(log2, "\n"))
	}
	if (res.Err() == nil) != (res2.Err() == nil) {
		report("the second pass reports %v, the first %v", res2.Err(), res.Err())
	}
}

// pass reads the table, diffs and executes, as apply does.
func pass(t *testing.T, k *kernel.Kernel, want []reconcile.Want, force bool) (reconcile.Result, lines) {
	t.Helper()
	have, err := reconcile.Have(context.Background(), k, want, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log lines
	res := reconcile.Execute(context.Background(), k, reconcile.Diff(want, have, force), &log, nil)
	return res, log
}

// othersRoutes lists the routes of owners other than podroutes and the
// kernel, but, under force, those to a wanted destination.
func othersRoutes(t *testing.T, k *kernel.Kernel, sc scenario) []string {
	t.Helper()
	rs, err := k.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if r.Protocol == route.Owner || r.Protocol == 2 {
			continue
		}
		if sc.force && slices.ContainsFunc(wants(sc.want...), func(w reconcile.Want) bool { return w.Route.Dst == r.Dst }) {
			continue
		}
		out = append(out, r.String())
	}
	slices.Sort(out)
	return out
}
