package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/internal/nstest"
)

// podroutes builds the binary the soak drives.
func podroutes(t *testing.T) string {
	t.Helper()
	nstest.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "podroutes")
	build := exec.Command("go", "build", "-o", bin, "github.com/podroutes/podroutes/cmd/podroutes")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building podroutes: %v\n%s", err, out)
	}
	return bin
}

// TestSoak is make test's short soak: 60 s of faults of every kind on
// three labs of 12 hosts at once, one following an inventory, one a real
// kube-apiserver and one on two segments with offLink: vxlan, a fixed
// seed; any divergence fails it, with the soak's report.
func TestSoak(t *testing.T) {
	bin := podroutes(t)
	var out bytes.Buffer
	svg := filepath.Join(t.TempDir(), "soak.svg")
	sources := parseSources("all")
	res, err := run(context.Background(), options{bin: bin, sources: sources, duration: 60 * time.Second, seed: 23, hosts: 12,
		svg: svg, quiet: 3 * time.Second, bound: 10 * time.Second, apiGap: 4, out: &out})
	if err != nil || res.divergences != 0 {
		t.Fatalf("soak: %v\n%s", err, out.String())
	}
	t.Log(res.line())
	// Every kind in one lab at least: the host faults are the same code
	// in both.
	all := map[string]bool{}
	for _, s := range sources {
		for _, f := range faultsOf(s) {
			all[f.kind] = true
		}
	}
	if len(res.kinds) != len(all) {
		t.Errorf("faults of %d kinds, not all %d:\n%s", len(res.kinds), len(all), out.String())
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte("<polyline")) {
		t.Errorf("plot: %v\n%s", err, b)
	}
}

// TestSoakSeesDivergence breaks what the watchers would mend, with them
// stopped, and what check would name, behind the soak's back: the soak must
// see both, or a clean run proves nothing.
func TestSoakSeesDivergence(t *testing.T) {
	l, ctx := freshLab(t, inventorySourceName)

	// Another owner's route at a wanted destination the soak does not
	// know of: check names a conflict and the metrics count it, where the
	// soak expects the route in place.
	h := l.hosts[1]
	if err := ip(h.ns, "route", "add", podSubnet(0), "via", auxGW, "dev", "aux0", "proto", "static", "metric", "50"); err != nil {
		t.Fatal(err)
	}
	p := l.verify(ctx)
	if !has(p, "node-1: check exits 1, not 0") || !has(p, `node-1: metrics: podroutes_routes{state="conflict"} 1`) {
		t.Errorf("an unknown conflict: %q", p)
	}
	if err := ip(h.ns, "route", "del", podSubnet(0), "via", auxGW, "dev", "aux0", "proto", "static", "metric", "50"); err != nil {
		t.Fatal(err)
	}

	// Another owner's routes gone that the soak put there: a conflict's
	// and the unrelated bird routes.
	h.foreign[podSubnet(2)] = true
	h.bird = 5
	_, p = l.converge(ctx, time.Now())
	if !has(p, "node-1: another owner's route 10.200.2.0/24 via 192.168.255.2 dev aux0 proto static metric 50 deleted or changed") ||
		!has(p, "node-1: 0 of another owner's proto bird routes, not 5") {
		t.Errorf("another owner's routes gone: %q", p)
	}
	delete(h.foreign, podSubnet(2))
	h.bird = 0

	// The inventory rewritten and not reloaded: the watchers keep the old
	// one (watch reads it again only on SIGHUP), so the node that joined
	// is not routed, where the soak expects it. Reloaded, it is.
	l.joiners["joiner-x"] = node{addr: "10.240.0.100", subnet: "10.201.0.0/24"}
	if err := l.writeInventory(); err != nil {
		t.Fatal(err)
	}
	_, p = l.converge(ctx, time.Now())
	if !has(p, "node-0: want 10.201.0.0/24 via 10.240.0.100 dev eth0 proto 157 metric 100, the kernel has []") {
		t.Errorf("an inventory not reloaded: %q", p)
	}
	if err := l.reload(); err != nil {
		t.Fatal(err)
	}
	if _, p = l.converge(ctx, time.Now()); p != nil {
		t.Errorf("the inventory reloaded: %q", p)
	}

	// A watcher killed: its exit is a divergence, and a route deleted
	// without it to mend it is never converged.
	if err := h.kill(); err != nil {
		t.Fatal(err)
	}
	if err := ip(h.ns, "route", "del", podSubnet(2), "proto", ownProto); err != nil {
		t.Fatal(err)
	}
	_, p = l.converge(ctx, time.Now())
	if !has(p, "node-1: watch exited") {
		t.Errorf("a watcher killed: %q", p)
	}
	dead := h.exited
	h.exited = make(chan error, 1) // as if it ran, to see the table judged
	_, p = l.converge(ctx, time.Now())
	h.exited = dead
	if !has(p, "node-1: want 10.200.2.0/24 via 10.240.0.12 dev eth0 proto 157 metric 100, the kernel has []") {
		t.Errorf("a route deleted: %q", p)
	}

	// Started again, as systemd would, it mends the route.
	if err := l.startWatch(ctx, h); err != nil {
		t.Fatal(err)
	}
	everyFault(t, l)
}

func has(problems []string, prefix string) bool {
	return slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

// TestNotFlat: a run whose RSS, fds or goroutines rise more than 10% from
// its first tenth to its last is not flat, and says which; one within 10%
// (or falling) is.
func TestNotFlat(t *testing.T) {
	samples := func(f func(i int) sample) []sample {
		var s []sample
		for i := range 100 {
			x := f(i)
			x.at = time.Duration(i+1) * time.Second
			s = append(s, x)
		}
		return s
	}
	flat := &result{samples: samples(func(i int) sample {
		return sample{rssMB: 20 + float64(i%3), fds: 12 - float64(i)/50, goroutines: 30}
	})}
	if nf := flat.notFlat(); nf != nil {
		t.Errorf("a flat run: %q", nf)
	}
	leak := &result{samples: samples(func(i int) sample {
		return sample{rssMB: 20, fds: 12, goroutines: 30 + float64(i)/10}
	})}
	if nf := leak.notFlat(); len(nf) != 1 || !strings.HasPrefix(nf[0], "goroutines 30.") {
		t.Errorf("goroutines leaking: %q", nf)
	}
}

// TestSoakSeesKubeDivergence: the kube variant's expectation is the Nodes
// the soak created, not what the watchers make of the API server's: a
// Node created behind its back is a route not wanted, one it records
// without creating is a route missing.
func TestSoakSeesKubeDivergence(t *testing.T) {
	l, ctx := freshLab(t, kubeSourceName)

	k := l.kube
	stranger := node{addr: "10.240.0.150", subnet: "10.201.9.0/24"}
	if err := k.tb.try(func() { k.c.CreateNode(k.tb, kubeNode("stranger", stranger)) }); err != nil {
		t.Fatal(err)
	}
	// The watchers route it; then the soak must object.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rs, err := kernelRoutes(l.hosts[0].ns)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(rs, func(k kroute) bool { return k.Dst == stranger.subnet }) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("node-0 did not route the Node stranger in 10 s: %v", rs)
		}
	}
	_, p := l.converge(ctx, time.Now())
	if !has(p, "node-0: podroutes' route 10.201.9.0/24 via 10.240.0.150 dev eth0 proto 157 metric 100 not wanted") {
		t.Errorf("a Node the soak did not create: %q", p)
	}
	l.joiners["stranger"] = stranger // now it did
	if _, p := l.converge(ctx, time.Now()); p != nil {
		t.Errorf("the Node known: %q", p)
	}

	l.joiners["ghost"] = node{addr: "10.240.0.151", subnet: "10.201.10.0/24"}
	_, p = l.converge(ctx, time.Now())
	if !has(p, "node-2: want 10.201.10.0/24 via 10.240.0.151 dev eth0 proto 157 metric 100, the kernel has []") {
		t.Errorf("a Node recorded, not created: %q", p)
	}
	if err := l.publishNodes(change{op: joins, name: "ghost"}); err != nil {
		t.Fatal(err)
	}
	if _, p := l.converge(ctx, time.Now()); p != nil {
		t.Errorf("the Node created: %q", p)
	}
	everyFault(t, l)
}

// everyFault injects each of the lab's faults once, in the order of its
// list, and sees the lab converge after each: a fault that cannot run in
// a lab of its source fails here, not an hour into a soak.
func everyFault(t *testing.T, l *lab) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range l.faults {
		what, err := f.do(context.Background(), l, r)
		if err != nil {
			t.Fatalf("%s: %v", f.kind, err)
		}
		if _, p := l.converge(context.Background(), time.Now()); p != nil {
			t.Errorf("%s (%s): %q", f.kind, what, p)
		}
	}
}

// TestSoakSeesSegmentsDivergence: the segments lab's expectation is the
// lab's layout, not what podroutes makes of the links: a host the soak
// believes on the other segment is a path wrong on every host, a neighbour
// entry gone with its watcher stopped is named, and each of the lab's
// faults then converges.
func TestSoakSeesSegmentsDivergence(t *testing.T) {
	l, ctx := freshLab(t, segmentsSourceName)

	// node-0 and node-2 on segment 0, node-1 on 1. The soak told node-2
	// is on segment 1 (it is not): it must see direct routes where it
	// wants the tunnel and the other way round, and the tunnel's entries
	// for the wrong peers.
	h2 := l.hosts[2]
	h2.seg = 1
	_, p := l.converge(ctx, time.Now())
	if !has(p, "node-2: want 10.200.0.0/24 via 10.200.0.0 dev podroutes-vx proto 157 metric 100 onlink, the kernel has [10.200.0.0/24 via 10.240.0.10 dev eth0 proto 157 metric 100]") ||
		!has(p, "node-2: want 10.200.1.0/24 via 10.241.0.11 dev eth0 proto 157 metric 100, the kernel has [10.200.1.0/24 via 10.200.1.0 dev podroutes-vx proto 157 metric 100 onlink]") ||
		!has(p, "node-2: tunnel: no neighbour 10.200.0.0 lladdr "+tunnel.MAC(netip.MustParseAddr("10.240.0.10")).String()) ||
		!has(p, "node-2: tunnel: fdb "+tunnel.MAC(netip.MustParseAddr("10.241.0.11")).String()+" dst 10.241.0.11 not wanted") {
		t.Errorf("a path expectation broken: %q", p)
	}
	h2.seg = 0
	if _, p := l.converge(ctx, time.Now()); p != nil {
		t.Fatalf("the layout right again: %q", p)
	}

	// node-1's watcher stopped, its tunnel's entries flushed (the
	// flushtunnel fault): each named.
	h1 := l.hosts[1]
	if err := h1.kill(); err != nil {
		t.Fatal(err)
	}
	if what, err := flushTunnelOn(h1); err != nil || !strings.Contains(what, "2 FDB entries flushed") {
		t.Fatalf("flushtunnel: %s, %v", what, err)
	}
	dead := h1.exited
	h1.exited = make(chan error, 1)
	_, p = l.converge(ctx, time.Now())
	for _, n := range []string{"10.240.0.10", "10.240.0.12"} {
		mac := tunnel.MAC(netip.MustParseAddr(n)).String()
		if !has(p, "node-1: tunnel: no neighbour 10.200."+n[len(n)-1:]+".0 lladdr "+mac) || !has(p, "node-1: tunnel: no fdb "+mac+" dst "+n) {
			t.Errorf("the entries for %s flushed: %q", n, p)
		}
	}
	// The device deleted (the deltunnel fault): named, its routes gone.
	if err := ip(h1.ns, "link", "del", tunnel.Name); err != nil {
		t.Fatal(err)
	}
	_, p = l.converge(ctx, time.Now())
	if !has(p, "node-1: no podroutes-vx, where 2 peers go through it") ||
		!has(p, "node-1: want 10.200.0.0/24 via 10.200.0.0 dev podroutes-vx proto 157 metric 100 onlink, the kernel has []") {
		t.Errorf("the device deleted: %q", p)
	}
	h1.exited = dead
	if err := l.startWatch(ctx, h1); err != nil {
		t.Fatal(err)
	}
	if _, p := l.converge(ctx, time.Now()); p != nil {
		t.Fatalf("the watcher back: %q", p)
	}
	if p := l.verify(ctx); p != nil {
		t.Fatalf("the watcher back: %q", p)
	}
	everyFault(t, l)
	if p := l.verify(ctx); p != nil {
		t.Errorf("after every fault: %q", p)
	}
	if t.Failed() {
		b, _ := os.ReadFile(l.hosts[0].log)
		t.Logf("node-0's log:\n%s", b)
	}
}

// freshLab builds a lab of 3 hosts of source, with a 2 s bound, and
// fails the test unless it converges and verifies before anything is
// done to it: what the divergence tests start from.
func freshLab(t *testing.T, source string) (*lab, context.Context) {
	t.Helper()
	l, err := newLab(options{bin: podroutes(t), hosts: 3, bound: 2 * time.Second, out: os.Stdout}, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.cleanup)
	ctx := context.Background()
	if err := l.build(ctx); err != nil {
		t.Fatal(err)
	}
	if _, p := l.converge(ctx, time.Now()); p != nil {
		t.Fatalf("a fresh lab: %v", p)
	}
	if p := l.verify(ctx); p != nil {
		t.Fatalf("a fresh lab: %v", p)
	}
	return l, ctx
}
