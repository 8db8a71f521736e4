package reconcile_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/route"
)

type discard = logs.Discard

// wants reads "ROUTE # PEER" lines.
func wants(lines ...string) []reconcile.Want {
	var ws []reconcile.Want
	for _, l := range lines {
		route, peer, _ := strings.Cut(l, "#")
		ws = append(ws, reconcile.Want{Route: fake.MustParse(route), Peer: strings.TrimSpace(peer)})
	}
	return ws
}

var (
	node1   = "10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100 # node-1"
	node2   = "10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100 # node-2"
	node1v6 = "fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100 # node-1"
	all     = wants(node1, node2, node1v6)
)

const inSync = `10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100
10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100
fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100
`

type state struct {
	name   string
	want   []reconcile.Want
	force  bool
	kernel []string // before apply; in the replay only other owners' routes
	after  string   // the table after apply; "" for inSync
	errs   []string // substrings, one per error
	// once: the state is not replayed (the replay lets other owners take
	// their destinations over, which the state needs podroutes to keep)
	once bool
}

var states = []state{
	{name: "empty", want: all},
	{name: "partial", want: all,
		kernel: []string{"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100"}},
	{name: "stale", want: all,
		kernel: []string{"10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100"}},
	{name: "node left", want: wants(node1),
		after: "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n"},
	{name: "nothing wanted", want: nil, kernel: []string{"10.0.0.0/8 via 10.240.0.1 dev eth0 proto static"},
		after: "10.0.0.0/8 via 10.240.0.1 dev eth0 proto static\n"},
	{name: "foreign", want: all,
		kernel: []string{
			"0.0.0.0/0 via 10.240.0.1 dev eth0 proto dhcp metric 1024",
			"10.240.0.0/24 dev eth0 proto kernel",
		},
		after: "0.0.0.0/0 via 10.240.0.1 dev eth0 proto dhcp metric 1024\n" +
			strings.Replace(inSync, "fd00", "10.240.0.0/24 dev eth0 proto kernel\nfd00", 1)},
	{name: "conflicting", want: all,
		kernel: []string{"10.200.1.0/24 via 10.240.0.99 dev eth0"},
		after: `10.200.1.0/24 via 10.240.0.99 dev eth0
10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100
fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100
`,
		errs: []string{"route 10.200.1.0/24 via 10.240.0.21 (node-1): another owner (boot) holds the destination: 10.200.1.0/24 via 10.240.0.99 dev eth0"}},
	{name: "conflicting, forced", want: all, force: true,
		kernel: []string{"10.200.1.0/24 via 10.240.0.99 dev eth0"}},
	{name: "conflicting at our metric, forced", want: all, force: true,
		kernel: []string{"fd00:200:1::/64 via fd00:240::99 dev eth0 proto zebra metric 100"}},
	{name: "different gateway", want: all,
		kernel: []string{"10.200.2.0/24 via 10.240.0.99 dev eth0 proto podroutes metric 100"}},
	{name: "different metric", want: all,
		kernel: []string{"10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 50"}},
	// Routes for some traffic only (a TOS, a source prefix) do not hold
	// the destination: the kernel uses podroutes' for the rest, and
	// --force leaves them be.
	{name: "foreign TOS route, forced", want: all, force: true,
		kernel: []string{"10.200.1.0/24 tos 0x10 via 10.240.0.99 dev eth0 proto static"},
		after:  "10.200.1.0/24 tos 0x10 via 10.240.0.99 dev eth0 proto static\n" + inSync},
	{name: "our protocol with a TOS", want: all,
		kernel: []string{"10.200.2.0/24 tos 0x10 via 10.240.0.22 dev eth0 proto podroutes metric 100"}},
	{name: "foreign source-specific route, forced", want: all, force: true,
		kernel: []string{"fd00:200:1::/64 from fd00:1::/64 via fd00:240::99 dev eth0 proto static metric 1024"},
		after:  strings.Replace(inSync, "fd00:200:1::/64 via", "fd00:200:1::/64 from fd00:1::/64 via fd00:240::99 dev eth0 proto static metric 1024\nfd00:200:1::/64 via", 1)},
	// Another owner's route that loses to podroutes' (a higher metric) is
	// not in the way: left alone, no conflict; one that wins is.
	{name: "foreign route losing to ours", want: wants(node1),
		kernel: []string{"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100", "10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 200"},
		after:  "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 200\n",
		once:   true},
	// Whatever the order the two came in, another owner's route that wins
	// over podroutes' is a conflict: it is looked for at every wanted
	// destination, not only where podroutes' route is not as wanted.
	{name: "foreign route winning over ours", want: wants(node1),
		kernel: []string{"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100", "10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 50"},
		after:  "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 50\n",
		errs:   []string{"another owner (static) holds the destination: 10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 50"},
		once:   true},
	{name: "foreign route winning over ours, added after", want: wants(node1),
		kernel: []string{"10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 50", "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100"},
		after:  "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 50\n",
		errs:   []string{"another owner (static) holds the destination: 10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 50"},
		once:   true},
	{name: "foreign blackhole, forced", want: all, force: true,
		kernel: []string{"blackhole 10.200.1.0/24 proto static"}},
	{name: "foreign multipath route", want: all,
		kernel: []string{"10.200.2.0/24 proto zebra metric 20 nexthop via 10.240.0.98 dev eth0 weight 1 nexthop via 10.240.0.99 dev eth0 weight 1"},
		after: strings.Replace(inSync, "10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100",
			"10.200.2.0/24 proto zebra metric 20 nexthop via 10.240.0.98 dev eth0 weight 1 nexthop via 10.240.0.99 dev eth0 weight 1", 1),
		errs: []string{"another owner (zebra) holds the destination: 10.200.2.0/24 proto zebra metric 20 nexthop via 10.240.0.98 dev eth0 weight 1 nexthop via 10.240.0.99 dev eth0 weight 1"}},
	{name: "different device", want: wants(strings.Replace(node1, "metric", "dev eth0 metric", 1)),
		kernel: []string{"10.200.1.0/24 via 10.240.0.21 dev eth1 proto podroutes metric 100"},
		after:  "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n"},
}

// path is a way production executes a plan: kernel.Kernel batches its
// writes (reconcile.Batcher), through nexthop objects or, where the
// kernel has none, with their gateways inline (Plan.Inline); a Kernel
// that cannot batch is written one route at a time.
type path struct {
	name   string
	inline bool
	batch  bool
}

var paths = []path{{"batched", false, true}, {"batched, gateways inline", true, true}, {"one at a time", false, false}}

func apply(t *testing.T, k *fake.Kernel, s state) reconcile.Result {
	t.Helper()
	return paths[0].apply(t, k, s)
}

// apply plans s against k and executes the plan the path's way.
func (pa path) apply(t *testing.T, k *fake.Kernel, s state) reconcile.Result {
	t.Helper()
	k.InlineGateways = pa.inline
	have, err := reconcile.Have(context.Background(), k, s.want)
	if err != nil {
		t.Fatal(err)
	}
	p := reconcile.Diff(s.want, have, s.force)
	if pa.inline {
		p = p.Inline()
	}
	var run reconcile.Kernel = k
	if !pa.batch {
		run = k.Unbatched()
	}
	return reconcile.Execute(context.Background(), run, p, discard{}, nil)
}

// check compares the table and the errors with what s expects, then
// re-applies s the path's way and expects no write.
func (pa path) check(t *testing.T, k *fake.Kernel, s state, res reconcile.Result) {
	t.Helper()
	if res.Left[reconcile.InPlace] != res.InPlace {
		t.Errorf("%s: %d left in place, %d in place", s.name, res.Left[reconcile.InPlace], res.InPlace)
	}
	if got, want := k.String(), cmp.Or(s.after, inSync); got != want {
		t.Errorf("%s: table after apply:\n%s\nwant:\n%s", s.name, got, want)
	}
	if len(res.Errs) != len(s.errs) {
		t.Errorf("%s: errors %q, want %d", s.name, res.Errs, len(s.errs))
	}
	for i := 0; i < len(res.Errs) && i < len(s.errs); i++ {
		if !strings.Contains(res.Errs[i].Error(), s.errs[i]) {
			t.Errorf("%s: error %q does not contain %q", s.name, res.Errs[i], s.errs[i])
		}
	}
	before := k.Writes()
	pa.apply(t, k, s)
	if n := k.Writes() - before; n != 0 {
		t.Errorf("%s: re-apply made %d writes, want 0", s.name, n)
	}
}

// TestReconcileStates brings a table in each state to the config, on each
// path production takes, then replays the states in random order.
func TestReconcileStates(t *testing.T) {
	for _, pa := range paths {
		t.Run(pa.name, func(t *testing.T) {
			for _, s := range states {
				t.Run(s.name, func(t *testing.T) {
					k := fake.New(s.kernel...)
					pa.check(t, k, s, pa.apply(t, k, s))
				})
			}
			// Replay in random order: from whatever the previous apply
			// left, the other owners' routes become those of the state
			// (each taking its destination over), and one apply must
			// reach the state's table.
			k := fake.New()
			order := rand.Perm(len(states) * 3)
			for _, i := range order {
				s := states[i%len(states)]
				if s.once {
					continue
				}
				k.SetOthers(others(s.kernel)...)
				pa.check(t, k, s, pa.apply(t, k, s))
				if t.Failed() {
					t.Fatalf("replay order %v, failed at %q", order, s.name)
				}
			}
		})
	}
}

func others(routes []string) []string {
	var out []string
	for _, r := range routes {
		if fake.MustParse(r).Protocol != route.Owner {
			out = append(out, r)
		}
	}
	return out
}

// TestExecuteFailure: a failed add leaves the old route alone (add before
// delete), the other destinations are done, and the error names the route.
func TestExecuteFailure(t *testing.T) {
	k := fake.New("10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 50")
	k.FailWrites(fake.MustKey("10.200.1.0/24"), syscall.ENETUNREACH)
	res := apply(t, k, state{want: all})
	want := "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 50\n" +
		"10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100\n" +
		"fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100\n"
	if got := k.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if got, want := res.Err().Error(), "adding route 10.200.1.0/24 via 10.240.0.21 (node-1): network is unreachable"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if got, want := res.Status(), "2 routes in place: 2 added, 0 replaced, 0 pruned"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	if res.Left != [reconcile.NumStates]int{reconcile.InPlace: 2, reconcile.Different: 1} {
		t.Errorf("left %v, want 2 in place and the failed one different", res.Left)
	}
	if got := fmt.Sprint(res.Final); got != "[{10.200.1.0/24 different} {10.200.2.0/24 in place} {fd00:200:1::/64 in place}]" {
		t.Errorf("final states %s, want the failed one different, the others in place", got)
	}
}

// TestExecuteRaced: a route that another writer adds between the read of
// the table and podroutes' add (systemd-networkd with podroutes' drop-in,
// at boot) is found in place if it is the wanted one, not an error; one
// that is not is an error naming the route that came (or, where the plan
// knew a route, the one the kernel uses), and the other destinations are
// done either way.
func TestExecuteRaced(t *testing.T) {
	for _, tc := range []struct {
		name, came, status, err, log string
		first                        reconcile.State // 10.200.1.0/24's final state
		before                       string          // another owner's route the plan knows, taken over (force)
	}{
		{name: "the wanted route", came: "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100",
			status: "3 routes in place: 2 added, 0 replaced, 0 pruned",
			log:    "found 10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1, added by another writer since the table was read",
			first:  reconcile.InPlace},
		{name: "another owner's", came: "10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 100",
			status: "2 routes in place: 2 added, 0 replaced, 0 pruned",
			err: "adding route 10.200.1.0/24 via 10.240.0.21 (node-1): file exists: since the table was read, " +
				"another writer added 10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 100",
			first: reconcile.Missing},
		{name: "ours, another gateway", came: "10.200.1.0/24 via 10.240.0.98 dev eth0 proto podroutes metric 100",
			status: "2 routes in place: 2 added, 0 replaced, 0 pruned",
			err: "adding route 10.200.1.0/24 via 10.240.0.21 (node-1): file exists: since the table was read, " +
				"another writer added 10.200.1.0/24 via 10.240.0.98 dev eth0 proto podroutes metric 100",
			first: reconcile.Missing},
		{name: "beside a route the plan knew", before: "10.200.1.0/24 via 10.240.0.97 dev eth0 proto static metric 50",
			came:   "10.200.1.0/24 via 10.240.0.99 dev eth0 proto static metric 100",
			status: "2 routes in place: 2 added, 0 replaced, 0 pruned",
			err: "adding route 10.200.1.0/24 via 10.240.0.21 (node-1): file exists: the kernel now uses " +
				"10.200.1.0/24 via 10.240.0.97 dev eth0 proto static metric 50",
			first: reconcile.Held},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := fake.New()
			if tc.before != "" {
				k.SetOthers(tc.before)
			}
			have, err := reconcile.Have(context.Background(), k, all)
			if err != nil {
				t.Fatal(err)
			}
			plan := reconcile.Diff(all, have, tc.before != "")
			if err := k.Add(fake.MustParse(tc.came)); err != nil { // after the read
				t.Fatal(err)
			}
			var log logtest.Lines
			res := reconcile.Execute(context.Background(), k, plan, &log, nil)
			if got := res.Status(); got != tc.status {
				t.Errorf("status %q, want %q", got, tc.status)
			}
			if err := res.Err(); fmt.Sprint(err) != cmp.Or(tc.err, "<nil>") {
				t.Errorf("error %v\nwant %s", err, cmp.Or(tc.err, "none"))
			}
			if got := res.Final[0]; got.State != tc.first {
				t.Errorf("%s left %s, want %s", got.Key, got.State, tc.first)
			}
			if tc.log != "" && log.Count(tc.log) != 1 {
				t.Errorf("logged:\n%s\nwant a line %q", log.String(), tc.log)
			}
			want := 3 // the route that came and the two others
			if tc.before != "" {
				want++
			}
			if !strings.Contains(k.String(), tc.came+"\n") || !strings.Contains(k.String(), tc.before) ||
				strings.Count(k.String(), "\n") != want {
				t.Errorf("table:\n%s\nwant the route that came, the one before if any, and the two others", k)
			}
		})
	}
}

// TestLeavesByTheLinkThatReaches: a route without a device must leave by
// the link that reaches its gateway now (Want.Link); one that leaves by
// another (the address moved from eth0 to br0) is replaced, and one whose
// gateway no link reaches is reported, not written.
func TestLeavesByTheLinkThatReaches(t *testing.T) {
	k := fake.New("10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100")
	k.Dev = "br0" // where the kernel puts a route to 10.240.0.21 now
	want := wants(node1)
	want[0].Link = "br0"
	have, _ := reconcile.Have(context.Background(), k, want)
	plan := reconcile.Diff(want, have, false)
	out := printed(t, plan.WriteReport)
	const report = "different device  10.200.1.0/24 via 10.240.0.21 dev br0 proto podroutes metric 100  # node-1\n" +
		"  kernel has  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n"
	if out != report {
		t.Errorf("report:\n%s\nwant:\n%s", out, report)
	}
	res := reconcile.Execute(context.Background(), k, plan, discard{}, nil)
	if got := k.String(); got != "10.200.1.0/24 via 10.240.0.21 dev br0 proto podroutes metric 100\n" || res.Replaced != 1 || res.Err() != nil {
		t.Errorf("after apply: %s, %v; table:\n%s", res.Status(), res.Err(), got)
	}

	want[0].Link, want[0].Unreachable = "", true
	have, _ = reconcile.Have(context.Background(), k, want)
	plan = reconcile.Diff(want, have, false)
	out = printed(t, plan.WriteReport)
	const unreachable = "gateway unreachable  10.200.1.0/24 via 10.240.0.21 dev br0 proto podroutes metric 100  # node-1, no up link has an address on 10.240.0.21's subnet\n"
	if out != unreachable || plan.InSync() || plan.Writes() != 0 {
		t.Errorf("report:\n%s\nwant:\n%s(in sync %v, %d writes; want false, 0)", out, unreachable, plan.InSync(), plan.Writes())
	}
	out = printed(t, plan.WriteJSON)
	const unreachableJSON = `{"state":"gateway unreachable","destination":"10.200.1.0/24","path":"direct","peer":"node-1","note":"no up link has an address on 10.240.0.21's subnet",` +
		`"want":{"route":"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100","destination":"10.200.1.0/24","gateway":"10.240.0.21","device":"","protocol":157,"metric":100,"onlink":false},` +
		`"kernel":[{"route":"10.200.1.0/24 via 10.240.0.21 dev br0 proto podroutes metric 100","destination":"10.200.1.0/24","gateway":"10.240.0.21","device":"br0","protocol":157,"metric":100,"onlink":false}]}` + "\n"
	if out != unreachableJSON {
		t.Errorf("JSON report:\n%s\nwant:\n%s", out, unreachableJSON)
	}

	// Missing too, it says why no write puts it in.
	if err := k.Delete(have[0]); err != nil {
		t.Fatal(err)
	}
	have, _ = reconcile.Have(context.Background(), k, want)
	plan = reconcile.Diff(want, have, false)
	out = printed(t, plan.WriteReport)
	const missing = "missing  10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100  # node-1, gateway unreachable: no up link has an address on 10.240.0.21's subnet\n"
	if out != missing {
		t.Errorf("report:\n%s\nwant:\n%s", out, missing)
	}
}

// printed is what write (a plan's WriteReport, WriteJSON or WriteWrites)
// prints, failing the test on an error.
func printed(t *testing.T, write func(io.Writer) error) string {
	t.Helper()
	var out strings.Builder
	if err := write(&out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// batching is a fake kernel that takes writes in batches, as kernel.Kernel
// does, and records the size of each batch.
type batching struct {
	*fake.Kernel
	sizes []int
}

func (b *batching) WriteBatch(ws []reconcile.Write, _ logs.Logger) []error {
	b.sizes = append(b.sizes, len(ws))
	return fake.Batch(b, ws)
}

// many is n wanted routes to 10.x.y.0/24, and the table holding m stale
// routes of podroutes' to 172.16.x.y/32.
func many(n, m int) ([]reconcile.Want, *batching) {
	want := make([]reconcile.Want, n)
	for i := range want {
		want[i].Route = fake.MustParse(fmt.Sprintf("10.%d.%d.0/24 via 10.240.0.1 proto podroutes metric 100", 100+i/256, i%256))
	}
	k := &batching{Kernel: fake.New()}
	for i := range m {
		_ = k.Add(fake.MustParse(fmt.Sprintf("172.16.%d.%d/32 via 10.240.0.1 dev eth0 proto podroutes metric 100", i/256, i%256)))
	}
	return want, k
}

// TestExecuteChunks: the writes reach a Batcher in chunks of at most 1024,
// every add and replace before any delete; the first 100 are logged one by
// one, the rest in one line.
func TestExecuteChunks(t *testing.T) {
	want, k := many(2500, 1100)
	have, _ := reconcile.Have(context.Background(), k, want)
	k.sizes = nil
	var log logtest.Lines
	res := reconcile.Execute(context.Background(), k, reconcile.Diff(want, have, false), &log, nil)
	if got := fmt.Sprint(k.sizes); got != "[1024 1024 452 1024 76]" || res.Err() != nil {
		t.Errorf("batches %s, %v; want adds in 1024, 1024, 452, then deletes in 1024, 76", got, res.Err())
	}
	if res.Added != 2500 || res.Pruned != 1100 || res.InPlace != 2500 {
		t.Errorf("%s", res.Status())
	}
	lines := strings.Split(log.String(), "\n")
	if n := len(lines); n != 101 || !strings.HasPrefix(lines[99], "added 10.100.99.0/24 via 10.240.0.1") ||
		lines[100] != "... and 3500 more writes (the first 100 are listed)" {
		t.Errorf("%d lines logged, ending %q; want 100 and the count of the rest", n, lines[max(0, n-2):])
	}
}

// TestExecuteCanceled: a context done in the middle of a chunk stops
// Execute at the end of it: the writes left are counted in the error, and
// no delete runs before its destination's successor is in.
func TestExecuteCanceled(t *testing.T) {
	want, k := many(3000, 100)
	have, _ := reconcile.Have(context.Background(), k, want)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res := reconcile.Execute(ctx, k, reconcile.Diff(want, have, false), discard{}, func(reconcile.Write) {
		if n++; n == 1500 {
			cancel()
		}
	})
	if n != 2048 {
		t.Errorf("%d writes made, want 2048: the chunk under way ends, no other starts", n)
	}
	const msg = "interrupted with 1052 writes left undone (2048 routes in place; run apply again): context canceled"
	if err := res.Err(); err == nil || err.Error() != msg || res.InPlace != 2048 || res.Pruned != 0 {
		t.Errorf("%s; %v\nwant %s", res.Status(), err, msg)
	}
	if got := strings.Count(k.String(), "\n"); got != 2048+100 {
		t.Errorf("the table holds %d routes, want the 2048 added and the 100 stale", got)
	}
}

// TestPickWinners: of the routes to exactly a destination, for all its
// traffic, the lowest metric wins (the first of equals), whatever its type
// or owner; each destination is found once, in the order asked.
func TestPickWinners(t *testing.T) {
	var rs []reconcile.Route
	for _, s := range []string{
		"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100",
		"10.200.1.0/24 tos 0x10 via 10.240.0.99 dev eth0 proto static", // some traffic only
		"10.200.1.0/24 via 10.240.0.98 dev eth0 proto static metric 50",
		"10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.97 dev eth0 proto bird metric 100", // equal: the first wins
		"blackhole 10.200.3.0/24 proto static metric 10",
		"10.200.0.0/16 via 10.240.0.1 dev eth0 proto static", // wider: not asked
		"fd00:200:1::/64 from fd00:1::/64 via fd00:240::99 dev eth0 proto static",
	} {
		rs = append(rs, fake.MustParse(s))
	}
	var keys []route.Key
	for _, s := range []string{"10.200.3.0/24", "10.200.1.0/24", "10.200.9.0/24", "10.200.2.0/24", "10.200.1.0/24", "fd00:200:1::/64"} {
		keys = append(keys, fake.MustKey(s))
	}
	var got []string
	for _, r := range reconcile.PickWinners(rs, keys) {
		got = append(got, r.String())
	}
	want := []string{
		"blackhole 10.200.3.0/24 proto static metric 10",
		"10.200.1.0/24 via 10.240.0.98 dev eth0 proto static metric 50",
		"10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("winners:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestInlineRewritesNexthopRoutes: where the writes carry their gateway
// (Plan.Inline: podroutes' networkd drop-in is on), a route of podroutes'
// through a nexthop object is not in place but replaced, IPv4 and IPv6
// (networkd adds its own beside it); an inline one is in place. Without
// Inline, either is in place, and Inline leaves the plan it came from as
// it was.
func TestInlineRewritesNexthopRoutes(t *testing.T) {
	want := wants(node1, node1v6)
	viaNH := func(s string, nh uint32) reconcile.Route {
		r := fake.MustParse(s)
		r.NH = nh
		return r
	}
	have := []reconcile.Route{
		viaNH("10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100", 3),
		viaNH("fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100", 4),
	}
	plan := reconcile.Diff(want, have, false)
	inline := plan.Inline()
	if !plan.InSync() || plan.Writes() != 0 {
		t.Errorf("through nexthop objects, not inline: in sync %v, %d writes; want in sync", plan.InSync(), plan.Writes())
	}
	out := printed(t, inline.WriteReport)
	const report = "through a nexthop object  10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100  # node-1\n" +
		"  kernel has  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n" +
		"through a nexthop object  fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100  # node-1\n" +
		"  kernel has  fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100\n"
	if inline.InSync() || out != report {
		t.Errorf("inline: in sync %v, report:\n%s\nwant not in sync and:\n%s", inline.InSync(), out, report)
	}
	out = printed(t, inline.WriteWrites)
	const writes = "replace  10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100  # node-1, was through a nexthop object\n" +
		"replace  fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100  # node-1, was through a nexthop object\n"
	if out != writes {
		t.Errorf("inline writes:\n%s\nwant:\n%s", out, writes)
	}
	for i := range have {
		have[i].NH = 0
	}
	if p := reconcile.Diff(want, have, false).Inline(); !p.InSync() || p.Writes() != 0 {
		t.Errorf("inline routes, inline: in sync %v, %d writes; want in sync", p.InSync(), p.Writes())
	}
}
