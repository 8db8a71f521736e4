package kernel_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/route"
)

// scenario is a main table built with ip (and podroutes' own writes),
// and what a pass of podroutes must leave of it: a file of
// testdata/model.txtar, whose comment says how it reads.
type scenario struct {
	name  string
	setup [][]string // ip's arguments, or "podroutes" and a route
	want  []string
	force bool
	held  bool
	keep  []string
	// heldInline: held only where routes carry their gateway (inline).
	heldInline bool
}

// TestKernelModel runs a pass, then a second one, over each table of
// testdata/model.txtar, with podroutes' routes through nexthop objects,
// then as on a kernel without them (inline): afterwards the wanted routes are in, no route of
// another owner changed (but where force takes a destination over), the
// pass says so only if the table is as wanted, and the second pass writes
// nothing.
func TestKernelModel(t *testing.T) {
	for _, inline := range []bool{false, true} {
		for _, sc := range modelScenarios(t) {
			name := sc.name
			if inline {
				name = "inline/" + name
				sc.held = sc.held || sc.heldInline
			}
			t.Run(name, func(t *testing.T) { sc.run(t, inline) })
		}
	}
}

// modelScenarios reads testdata/model.txtar.
func modelScenarios(t *testing.T) []scenario {
	const path = "testdata/model.txtar"
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var scs []scenario
	for _, f := range a.Files {
		sc := scenario{name: f.Name}
		for i, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
			word, rest, _ := strings.Cut(line, " ")
			switch word {
			case "ip":
				sc.setup = append(sc.setup, strings.Fields(rest))
			case "podroutes":
				sc.setup = append(sc.setup, []string{word, rest})
			case "want":
				sc.want = append(sc.want, rest)
			case "keep":
				sc.keep = append(sc.keep, rest)
			case "force":
				sc.force = true
			case "held":
				sc.held = true
			case "inline":
				if rest != "held" {
					t.Fatalf("%s: %s, line %d: want \"inline held\", got %q", path, f.Name, i+1, line)
				}
				sc.heldInline = true
			case "#":
			default:
				t.Fatalf("%s: %s, line %d: unknown step %q", path, f.Name, i+1, line)
			}
		}
		scs = append(scs, sc)
	}
	return scs
}

// run runs sc; inline, as on a kernel without nexthop objects.
func (sc scenario) run(t *testing.T, inline bool) {
	ns, k := host(t)
	if inline {
		k = nstest.Open(t, ns, func() (*kernel.Kernel, error) { return kernel.OpenWith(kernel.Options{Inline: true}) })
		t.Cleanup(k.Close)
	}
	for _, step := range sc.setup {
		if step[0] == "podroutes" {
			add(t, k, step[1])
			continue
		}
		ns.IP(t, step...)
	}
	show := func() string {
		return ns.IP(t, "-4", "route", "show", "table", "main") + ns.IP(t, "-6", "route", "show", "table", "main")
	}
	before := show()
	others := func() []string { return othersRoutes(t, k, sc) }
	theirs := others()
	want := wants(sc.want...)

	_, res, log := pass(t, k, want, sc.force)
	after := show()
	report := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		t.Logf("before:\n%s\nlog:\n%s\nerrors: %v\nafter:\n%s", before, strings.Join(log, "\n"), res.Err(), after)
	}
	if inline && strings.Contains(after, "nhid") {
		report("without nexthop objects, a route went through one")
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
	have, err := reconcile.Have(context.Background(), k, want)
	if err != nil {
		t.Fatal(err)
	}
	if p := reconcile.Diff(want, have, sc.force); res.Err() == nil && !p.InSync() {
		var b strings.Builder
		p.WriteReport(&b)
		report("the pass reported success, but the table is not as wanted:\n%s", b.String())
	}
	_, res2, log2 := pass(t, k, want, sc.force)
	if len(log2) > 0 {
		report("the second pass wrote:\n%s", strings.Join(log2, "\n"))
	}
	if (res.Err() == nil) != (res2.Err() == nil) {
		report("the second pass reports %v, the first %v", res2.Err(), res.Err())
	}
}

// pass reads the table, diffs and executes, as apply does.
func pass(t *testing.T, k *kernel.Kernel, want []reconcile.Want, force bool) (reconcile.Plan, reconcile.Result, lines) {
	t.Helper()
	have, err := reconcile.Have(context.Background(), k, want)
	if err != nil {
		t.Fatal(err)
	}
	p := reconcile.Diff(want, have, force)
	if k.Inline() {
		p = p.Inline()
	}
	var log lines
	res := reconcile.Execute(context.Background(), k, p, &log, nil)
	return p, res, log
}

// othersRoutes lists the routes of owners other than podroutes and the
// kernel, but, under force, those to a wanted destination.
func othersRoutes(t *testing.T, k *kernel.Kernel, sc scenario) []string {
	wanted := wants(sc.want...)
	return shown(t, k, func(r reconcile.Route) bool {
		return r.Protocol != route.Owner && r.Protocol != 2 &&
			!(sc.force && slices.ContainsFunc(wanted, func(w reconcile.Want) bool { return w.Route.Dst == r.Dst }))
	})
}
