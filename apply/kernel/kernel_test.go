package kernel_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/route"
)

// host is a namespace whose eth0 (10.240.0.10/24, fd00:240::10/64) leads to
// a peer namespace, and a Kernel open on it.
func host(t *testing.T) (*nstest.NS, *kernel.Kernel) {
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.240.0.10/24", "dev", "eth0")
	ns.IP(t, "addr", "add", "fd00:240::10/64", "dev", "eth0", "nodad")
	k := nstest.Open(t, ns, kernel.Open)
	t.Cleanup(k.Close)
	return ns, k
}

// add adds routes, written as `ip route` prints them, through k.
func add(t *testing.T, k *kernel.Kernel, routes ...string) {
	t.Helper()
	for _, s := range routes {
		if err := k.Add(fake.MustParse(s)); err != nil {
			t.Fatalf("adding %s: %v", s, err)
		}
	}
}

// shown lists the routes of k that keep takes, as `ip route` prints
// them, sorted.
func shown(t *testing.T, k *kernel.Kernel, keep func(reconcile.Route) bool) []string {
	t.Helper()
	rs, err := k.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if keep(r) {
			out = append(out, r.String())
		}
	}
	slices.Sort(out)
	return out
}

// table prints the routes of protocols other than kernel, sorted, a line
// each.
func table(t *testing.T, k *kernel.Kernel) string {
	t.Helper()
	var b strings.Builder
	for _, s := range shown(t, k, func(r reconcile.Route) bool { return r.Protocol != 2 }) {
		b.WriteString(s + "\n")
	}
	return b.String()
}

func TestRoutes(t *testing.T) {
	ns, k := host(t)
	ns.IP(t, "route", "add", "10.0.0.0/8", "via", "10.240.0.1", "proto", "static")
	ns.IP(t, "route", "add", "default", "via", "fd00:240::1", "proto", "dhcp")
	add(t, k,
		"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
		"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100",
		"10.200.9.0/24 via 192.168.9.1 dev eth0 proto podroutes metric 100 onlink",
		"fd00:200:9::/64 via fd00:999::1 dev eth0 proto podroutes metric 100 onlink")
	if err := k.Add(fake.MustParse("10.200.1.0/24 via 10.240.0.22 proto podroutes metric 100")); !errors.Is(err, unix.EEXIST) {
		t.Errorf("adding at a taken destination and metric: %v, want EEXIST", err)
	}
	if err := k.Replace(fake.MustParse("fd00:200:1::/64 via fd00:240::22 proto podroutes metric 100")); err != nil {
		t.Fatal(err)
	}
	want := `10.0.0.0/8 via 10.240.0.1 dev eth0 proto static
10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100
10.200.9.0/24 via 192.168.9.1 dev eth0 proto podroutes metric 100 onlink
::/0 via fd00:240::1 dev eth0 proto dhcp metric 1024
fd00:200:1::/64 via fd00:240::22 dev eth0 proto podroutes metric 100
fd00:200:9::/64 via fd00:999::1 dev eth0 proto podroutes metric 100 onlink
`
	if got := table(t, k); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	for _, s := range []string{
		"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100",
		"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100", // gone: success
		"fd00:200:1::/64 via fd00:240::22 dev eth0 proto podroutes metric 100",
		"10.0.0.0/8 via 10.240.0.1 dev eth0", // proto boot, the wrong owner: stays
	} {
		if err := k.Delete(fake.MustParse(s)); err != nil {
			t.Errorf("deleting %s: %v", s, err)
		}
	}
	if got := table(t, k); strings.Contains(got, "10.200.1.0") || strings.Contains(got, "fd00:200:1:") || !strings.Contains(got, "10.0.0.0/8") {
		t.Errorf("after deletes:\n%s", got)
	}
}

// TestAddRaced: systemd-networkd, given podroutes' drop-in, adds the
// wanted route (inline, protocol 157) after apply read the table and
// before its add: apply finds it in place, and the nexthop object it made
// for its own add, which no route uses, is deleted.
func TestAddRaced(t *testing.T) {
	ns, k := host(t)
	want := []reconcile.Want{{Route: fake.MustParse("10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100"), Peer: "node-1"}}
	have, err := reconcile.Have(context.Background(), k, want)
	if err != nil {
		t.Fatal(err)
	}
	plan := reconcile.Diff(want, have, false)
	ns.IP(t, "route", "add", "10.200.1.0/24", "via", "10.240.0.21", "proto", "157", "metric", "100")
	var log logtest.Lines
	res := reconcile.Execute(context.Background(), k, plan, &log, nil)
	if err := res.Err(); err != nil || res.Status() != "1 route in place: 0 added, 0 replaced, 0 pruned" {
		t.Errorf("%s; %v; want the route found in place", res.Status(), err)
	}
	if log.Count("found 10.200.1.0/24 via 10.240.0.21") != 1 {
		t.Errorf("logged:\n%s\nwant the route found", log.String())
	}
	if got, want := table(t, k), "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100\n"; got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if out := ns.IP(t, "nexthop", "show"); out != "" {
		t.Errorf("nexthop objects left:\n%s", out)
	}
}

// TestDeleteLinkScope deletes a foreign route of scope link, as --force
// does when it takes a destination over.
func TestDeleteLinkScope(t *testing.T) {
	ns, k := host(t)
	ns.IP(t, "route", "add", "10.200.5.0/24", "dev", "eth0", "proto", "static")
	if err := k.Delete(fake.MustParse("10.200.5.0/24 dev eth0 proto static")); err != nil {
		t.Fatal(err)
	}
	if got := table(t, k); got != "" {
		t.Errorf("route still there:\n%s", got)
	}
}

func TestLinksAndSubscribe(t *testing.T) {
	ns, k := host(t)
	done := make(chan struct{})
	defer close(done)
	changes, err := k.Subscribe(done)
	if err != nil {
		t.Fatal(err)
	}
	ns.IP(t, "addr", "add", "10.250.0.1/16", "dev", "eth0")
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no change signalled after adding an address")
	}
	links, err := k.Links()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(links, func(l gateway.Link) bool { return l.Name == "eth0" })
	if i < 0 || !links[i].Up {
		t.Fatalf("eth0 missing or down: %+v", links)
	}
	var got []string
	for _, p := range links[i].Prefixes {
		if !p.Addr().IsLinkLocalUnicast() {
			got = append(got, p.String())
		}
	}
	slices.Sort(got)
	if want := "10.240.0.10/24 10.250.0.1/16 fd00:240::10/64"; strings.Join(got, " ") != want {
		t.Errorf("eth0 prefixes %q, want %q", got, want)
	}
}

var _ reconcile.Kernel = (*kernel.Kernel)(nil)

// TestDeleteExact: deletes match the route they name, TOS, source prefix,
// type and multipath included; a delete that would match nothing is
// answered "no such route" only when the route is really gone.
func TestDeleteExact(t *testing.T) {
	ns, k := host(t)
	ns.IP(t, "route", "add", "10.200.3.0/24", "tos", "0x10", "via", "10.240.0.23", "proto", "static")
	ns.IP(t, "route", "add", "10.200.4.0/24", "tos", "0x10", "via", "10.240.0.24", "proto", "157", "metric", "100")
	ns.IP(t, "route", "add", "fd00:200:5::/64", "from", "fd00:1::/64", "via", "fd00:240::25", "proto", "static")
	ns.IP(t, "route", "add", "blackhole", "10.200.6.0/24", "proto", "static")
	ns.IP(t, "route", "add", "10.200.7.0/24", "proto", "static", "nexthop", "via", "10.240.0.27", "nexthop", "via", "10.240.0.28", "weight", "2")
	want := `10.200.3.0/24 tos 0x10 via 10.240.0.23 dev eth0 proto static
10.200.4.0/24 tos 0x10 via 10.240.0.24 dev eth0 proto podroutes metric 100
10.200.7.0/24 proto static nexthop via 10.240.0.27 dev eth0 weight 1 nexthop via 10.240.0.28 dev eth0 weight 2
blackhole 10.200.6.0/24 proto static
fd00:200:5::/64 from fd00:1::/64 via fd00:240::25 dev eth0 proto static metric 1024
`
	if got := table(t, k); got != want {
		t.Fatalf("table, as `ip route` would show it:\n%s\nwant:\n%s", got, want)
	}
	rs, err := k.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Protocol == 2 {
			continue
		}
		if err := k.Delete(r); err != nil {
			t.Errorf("deleting %s: %v", r, err)
		}
	}
	if got := table(t, k); got != "" {
		t.Errorf("left after deleting each route as dumped:\n%s", got)
	}
	if out := ns.IP(t, "route", "show", "table", "main", "proto", "static"); out != "" {
		t.Errorf("ip route still shows:\n%s", out)
	}
}

// TestPathsAgree: the filtered path (a dump of podroutes' routes, fib
// matches for the destinations asked) and the fallback for kernels
// without strict checking (the whole table) find the same routes, among
// other owners' routes that win, lose, serve some traffic only, or are
// more or less specific.
func TestPathsAgree(t *testing.T) {
	ns, k := host(t)
	full := nstest.Open(t, ns, func() (*kernel.Kernel, error) { return kernel.OpenWith(kernel.Options{FullDumps: true}) })
	t.Cleanup(full.Close)
	add(t, k,
		"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100",
		"10.200.3.0/24 via 10.240.0.23 proto podroutes metric 100",
		"fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100")
	for _, r := range [][]string{
		{"10.200.2.0/24", "via", "10.240.0.99", "proto", "static", "metric", "50"},  // wins over ours
		{"10.200.3.0/24", "via", "10.240.0.98", "proto", "static", "metric", "200"}, // loses to ours
		{"10.200.4.0/24", "via", "10.240.0.97", "proto", "bird", "metric", "20"},    // holds a destination we lack
		{"10.200.5.0/24", "tos", "0x10", "via", "10.240.0.96", "proto", "static"},   // some traffic only
		{"blackhole", "10.200.6.0/24", "proto", "static"},                           // all traffic, dropped
		{"unreachable", "10.200.11.0/24", "proto", "static"},
		{"prohibit", "10.200.12.0/24", "proto", "static"},
		{"throw", "10.200.13.0/24", "proto", "static"},
		{"10.200.7.0/24", "proto", "zebra", "nexthop", "via", "10.240.0.95", "nexthop", "via", "10.240.0.94"},
		{"10.200.0.0/16", "via", "10.240.0.93", "proto", "static"}, // wider
		{"10.200.9.0/25", "via", "10.240.0.92", "proto", "static"}, // narrower
		{"11.0.0.0/8", "via", "10.240.0.91", "proto", "bird"},      // elsewhere
	} {
		ns.IP(t, append([]string{"route", "add"}, r...)...)
	}
	ns.IP(t, "-6", "route", "add", "fd00:200:2::/64", "from", "fd00:1::/64", "via", "fd00:240::99", "proto", "static")
	ns.IP(t, "-6", "route", "add", "fd00:200:3::/64", "via", "fd00:240::98", "proto", "static", "metric", "10")
	var keys []route.Key
	for _, s := range []string{"10.200.1.0/24", "10.200.2.0/24", "10.200.3.0/24", "10.200.4.0/24", "10.200.5.0/24",
		"10.200.6.0/24", "10.200.7.0/24", "10.200.8.0/24", "10.200.9.0/24", "10.200.10.0/24",
		"10.200.11.0/24", "10.200.12.0/24", "10.200.13.0/24",
		"fd00:200:1::/64", "fd00:200:2::/64", "fd00:200:3::/64"} {
		keys = append(keys, route.Key{Table: route.MainTable, Dst: netip.MustParsePrefix(s)})
	}
	// winners prints what look finds at keys, a line each, sorted.
	winners := func(look func(context.Context, []route.Key) ([]reconcile.Route, error)) []string {
		won, err := look(context.Background(), keys)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range won {
			lines = append(lines, "wins "+r.String()+"\n")
		}
		return lines
	}
	read := func(k *kernel.Kernel) string {
		ours, err := k.Routes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		lines := winners(k.Winners)
		for _, r := range ours {
			lines = append(lines, "ours "+r.String()+"\n")
		}
		slices.Sort(lines)
		return strings.Join(lines, "")
	}
	want := `ours 10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100
ours 10.200.2.0/24 via 10.240.0.22 dev eth0 proto podroutes metric 100
ours 10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100
ours fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100
wins 10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100
wins 10.200.2.0/24 via 10.240.0.99 dev eth0 proto static metric 50
wins 10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100
wins 10.200.4.0/24 via 10.240.0.97 dev eth0 proto bird metric 20
wins 10.200.7.0/24 proto zebra nexthop via 10.240.0.95 dev eth0 weight 1 nexthop via 10.240.0.94 dev eth0 weight 1
wins blackhole 10.200.6.0/24 proto static
wins fd00:200:1::/64 via fd00:240::21 dev eth0 proto podroutes metric 100
wins fd00:200:3::/64 via fd00:240::98 dev eth0 proto static metric 10
wins prohibit 10.200.12.0/24 proto static
wins throw 10.200.13.0/24 proto static
wins unreachable 10.200.11.0/24 proto static
`
	filtered, fallback := read(k), read(full)
	if filtered != want {
		t.Errorf("filtered path:\n%s\nwant:\n%s", filtered, want)
	}
	if fallback != filtered {
		t.Errorf("fallback path:\n%s\nfiltered path:\n%s", fallback, filtered)
	}
	// OtherWinners is Winners less podroutes' own, on both paths.
	var others []string
	for _, l := range strings.SplitAfter(want, "\n") {
		if strings.HasPrefix(l, "wins ") && !strings.Contains(l, "proto podroutes") {
			others = append(others, l)
		}
	}
	for name, k := range map[string]*kernel.Kernel{"filtered": k, "fallback": full} {
		got := winners(k.OtherWinners)
		slices.Sort(got)
		if g, w := strings.Join(got, ""), strings.Join(others, ""); g != w {
			t.Errorf("OtherWinners, %s path:\n%s\nwant:\n%s", name, g, w)
		}
	}
}

// TestFullDumpsLogged: reading the whole table (no strict checking) is
// said once, however many reads follow.
func TestFullDumpsLogged(t *testing.T) {
	ns, _ := host(t)
	var log lines
	k := nstest.Open(t, ns, func() (*kernel.Kernel, error) { return kernel.OpenWith(kernel.Options{FullDumps: true, Log: &log}) })
	t.Cleanup(k.Close)
	for range 3 {
		if _, err := k.Routes(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(log) != 1 || !strings.Contains(log[0], "reading the whole routing table to find podroutes' routes") {
		t.Errorf("log %q, want one line", log)
	}
}

// TestRefusingKept: a watcher's Kernel keeps the routes lookups cannot see
// (a throw route is answered as no route at all is) from the events after
// its first dump of them, so that a heal does not walk the table: a throw
// or blackhole route added, replaced or deleted later is what the next
// Winners finds.
func TestRefusingKept(t *testing.T) {
	ns, k := host(t)
	events := watching(t, k)
	dst := netip.MustParsePrefix("10.200.9.0/24")
	winner := func() string {
		t.Helper()
		rs, err := k.Winners(context.Background(), []route.Key{{Table: route.MainTable, Dst: dst}})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, r := range rs {
			s = append(s, fmt.Sprintf("type %d metric %d", r.Type, r.Metric))
		}
		return strings.Join(s, ", ")
	}
	if got := winner(); got != "" {
		t.Fatalf("before: %q, want none", got)
	}
	for _, step := range []struct{ ip, want string }{
		{"route add throw 10.200.9.0/24 metric 50", "type 9 metric 50"},
		{"route replace 10.200.9.0/24 metric 50 via 10.240.0.1", "type 0 metric 50"},
		{"route del 10.200.9.0/24 metric 50", ""},
		{"route add throw 10.200.9.0/24 metric 50", "type 9 metric 50"},
		{"route add blackhole 10.200.9.0/24 metric 20", "type 6 metric 20"},
		{"route del blackhole 10.200.9.0/24 metric 20", "type 9 metric 50"},
		{"route del throw 10.200.9.0/24 metric 50", ""},
	} {
		ns.IP(t, strings.Fields(step.ip)...)
		observe(t, k, events, dst)
		if got := winner(); got != step.want {
			t.Errorf("after ip %s: %q, want %q", step.ip, got, step.want)
		}
	}
}

// observe gives k the events up to the one of a route to dst.
func observe(t *testing.T, k *kernel.Kernel, events <-chan kernel.Event, dst netip.Prefix) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			k.Observe(&ev)
			if ev.Kind == kernel.RouteChanged && ev.Route.Dst == dst {
				return
			}
		case <-timeout:
			t.Fatalf("no event of a route to %s", dst)
		}
	}
}

// TestEventsLost: when the consumer falls behind and the socket's buffer
// overflows, an EventsLost says so, and observing it drops what the Kernel
// kept from events: a throw route whose event was lost is still found.
func TestEventsLost(t *testing.T) {
	defer kernel.SmallBuffers()()
	ns, k := host(t)
	events := watching(t, k)
	dst := netip.MustParsePrefix("10.200.9.0/24")
	if rs, err := k.Winners(context.Background(), []route.Key{{Table: route.MainTable, Dst: dst}}); err != nil || len(rs) != 0 {
		t.Fatalf("before: %v, %v", rs, err)
	}
	// Not reading: 500 routes overflow the buffers, then the throw route
	// comes, its event dropped with the others.
	var batch strings.Builder
	for i := range 500 {
		fmt.Fprintf(&batch, "route add 10.201.%d.%d/32 via 10.240.0.1 proto bird\n", i/256, i%256)
	}
	batch.WriteString("route add throw 10.200.9.0/24\n")
	ns.Batch(t, batch.String())
	lost := false
	for timeout := time.After(5 * time.Second); !lost; {
		select {
		case ev := <-events:
			k.Observe(&ev)
			lost = ev.Kind == kernel.EventsLost
		case <-timeout:
			t.Fatal("no EventsLost after overflowing the socket")
		}
	}
	rs, err := k.Winners(context.Background(), []route.Key{{Table: route.MainTable, Dst: dst}})
	if err != nil || len(rs) != 1 || rs[0].Type != unix.RTN_THROW {
		t.Errorf("after the loss: %v, %v; want the throw route", rs, err)
	}
}

// watching subscribes to k's events until the test ends.
func watching(t *testing.T, k *kernel.Kernel) <-chan kernel.Event {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	events, err := k.Events(done)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestLinkMTU: Links has each link's MTU, from the dump and, while events
// are observed, as they change it: a link's MTU changed, a link added.
func TestLinkMTU(t *testing.T) {
	ns, k := host(t)
	mtu := func(name string) int {
		t.Helper()
		links, err := k.Links()
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(links, func(l gateway.Link) bool { return l.Name == name })
		if i < 0 {
			t.Fatalf("no link %s in %+v", name, links)
		}
		return links[i].MTU
	}
	if got := mtu("eth0"); got != 1500 {
		t.Errorf("eth0 dumped: mtu %d, want 1500", got)
	}
	events := watching(t, k)
	ns.IP(t, "link", "set", "eth0", "mtu", "1400")
	ns.IP(t, "link", "add", "br9", "mtu", "1300", "type", "bridge")
	for timeout := time.After(5 * time.Second); ; {
		select {
		case ev := <-events:
			k.Observe(&ev)
			if ev.Kind != kernel.LinkChanged || ev.Name != "br9" {
				continue
			}
		case <-timeout:
			t.Fatal("no event of br9 added")
		}
		break
	}
	if got := mtu("eth0"); got != 1400 {
		t.Errorf("eth0 changed: mtu %d, want 1400", got)
	}
	if got := mtu("br9"); got != 1300 {
		t.Errorf("br9 added: mtu %d, want 1300", got)
	}
}

// TestReadLinksNow: while a watcher observes, Links is what the events
// observed so far say; ReadLinks is the kernel now (an address added
// whose event is not observed yet), and leaves Links as it was.
func TestReadLinksNow(t *testing.T) {
	ns, k := host(t)
	events := watching(t, k)
	has := func(links []gateway.Link, err error) bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(links, func(l gateway.Link) bool {
			return l.Name == "eth0" && slices.Contains(l.Prefixes, netip.MustParsePrefix("10.250.0.1/16"))
		})
	}
	if has(k.Links()) {
		t.Fatal("10.250.0.1/16 on eth0 before it was added")
	}
	ns.IP(t, "addr", "add", "10.250.0.1/16", "dev", "eth0")
	if !has(k.ReadLinks()) {
		t.Error("ReadLinks: no 10.250.0.1/16 on eth0 after it was added")
	}
	if has(k.Links()) {
		t.Fatal("Links: 10.250.0.1/16 on eth0 before its event was observed; the test shows nothing")
	}
	for timeout := time.After(5 * time.Second); !has(k.Links()); {
		select {
		case ev := <-events:
			k.Observe(&ev)
		case <-timeout:
			t.Fatal("Links: no 10.250.0.1/16 on eth0 after its event")
		}
	}
}
