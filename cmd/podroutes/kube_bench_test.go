//go:build !nokube

package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	corev1 "k8s.io/api/core/v1"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// BenchmarkKube measures `podroutes watch --kubeconfig` following 5000
// Nodes (PODROUTES_KUBE_BENCH_NODES) as kubelets register them
// (k8stest.KubeletNode: 40 images each, about 12 KB of JSON). Each
// iteration starts a watcher on a host without routes and measures the
// time to the first routes, a Node's change reaching the routes, and the
// watcher's memory (RSS now and at its peak), which must stay at 40 MB or
// less; the metrics are the iterations' mean (the peak, their highest).
// make bench runs it once (gen/kube/bench.sh), naming in
// PODROUTES_KUBE_BENCH the file its Markdown table goes to, and in
// PODROUTES_KUBE_BENCH_BIN the binary to measure (the packages' build:
// stripped, whose resident code is smaller than the test's binary's).
// A benchmark, not a test: `go test` without -bench does not run it.
func BenchmarkKube(b *testing.B) {
	if bin := os.Getenv("PODROUTES_KUBE_BENCH_BIN"); bin != "" {
		defer func(was string) { podroutesBin = was }(podroutesBin)
		podroutesBin = bin
	}
	n := 5000
	if s := os.Getenv("PODROUTES_KUBE_BENCH_NODES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1235 {
			b.Fatalf("PODROUTES_KUBE_BENCH_NODES=%q: want a number of Nodes, 1235 or more (node-1234 is re-addressed)", s)
		}
	}
	c, host := benchLab(b)
	began := time.Now()
	c.CreateNodes(b, k8stest.Fleet(n))
	created := time.Since(began)
	kubeconfig, lock := c.Kubeconfig(b, c.Tokens.Podroutes), b.TempDir()+"/lock"

	in := []string{"ip", "netns", "exec", host.Name}
	var first, readdressed time.Duration
	var settled, after, peak float64
	runs := 0
	for ; b.Loop(); runs++ {
		if r := runBin(b, nil, in, "remove", "--all", "--lock", lock); r.code != exitOK {
			b.Fatalf("remove --all: exit %d: %s", r.code, r.stderr)
		}
		start := time.Now()
		w := startBin(b, nil, in, "watch", "--kubeconfig", kubeconfig, "--node", "bench", "--lock", lock)
		countRoutes(b, host, n, start, 2*time.Minute)
		first += time.Since(start)
		time.Sleep(2 * time.Second) // let the collector catch up
		rss, _ := status(b, w.cmd.Process.Pid)
		settled += rss

		// node-1234's subnet, to another address each iteration.
		gw := netip.AddrFrom4([4]byte{10, 240, 254, byte(1 + runs%250)})
		start = time.Now()
		c.SetNodeAddresses(b, "node-1234", gw)
		for want := "via " + gw.String(); !strings.Contains(host.IP(b, "route", "show", "10.204.210.0/24"), want); time.Sleep(5 * time.Millisecond) {
			if time.Since(start) > 10*time.Second {
				b.Fatalf("node-1234 re-addressed to %s: its route is %q after 10 s", gw, host.IP(b, "route", "show", "10.204.210.0/24"))
			}
		}
		readdressed += time.Since(start)
		rss, hwm := status(b, w.cmd.Process.Pid)
		after += rss
		peak = max(peak, hwm)
		w.signal(b, syscall.SIGTERM)
		if code, out := w.wait(b); code != exitOK {
			b.Fatalf("watch exited %d:\n%s", code, out)
		}
	}
	first, readdressed = first/time.Duration(runs), readdressed/time.Duration(runs)
	settled, after = settled/float64(runs), after/float64(runs)
	b.ReportMetric(first.Seconds(), "s-first-routes")
	b.ReportMetric(float64(readdressed.Microseconds())/1000, "ms-readdressed")
	b.ReportMetric(settled, "MB-settled")
	b.ReportMetric(peak, "MB-peak")
	if out := os.Getenv("PODROUTES_KUBE_BENCH"); out != "" {
		md := fmt.Sprintf("| Nodes | created in | first %d routes | a Node re-addressed, routed in | RSS settled | RSS after a change | peak RSS |\n"+
			"|---|---|---|---|---|---|---|\n| %d | %s | %s | %s | %.1f MB | %.1f MB | %.1f MB |\n",
			n, n, created.Round(time.Second), first.Round(10*time.Millisecond), readdressed.Round(time.Millisecond), settled, after, peak)
		b.Logf("\n%s", md)
		filetest.Write(b, out, md, 0o644)
	}
	if peak > 40 {
		b.Errorf("watch --kubeconfig peaked at %.1f MB RSS with %d Nodes, want 40 MB at most", peak, n)
	}
}

// BenchmarkKubeLarge measures the memory of `check --kubeconfig` and
// `watch --kubeconfig` listing 80 large Nodes (k8stest.LargeNode: 4500
// images and a 250 KB annotation each, about 1.7 MB of JSON; 136 MB in
// all): their peak RSS (for check, GNU time's maximum; for watch, VmHWM
// once it routes every Node), which must stay at 60 MB or
// less. Before list pages were bounded by bytes, one page held them all:
// 271 MB. make bench runs it once (gen/kube/bench.sh), naming in
// PODROUTES_KUBE_BENCH_LARGE the file its Markdown table goes to, and the
// binary as BenchmarkKube does. A benchmark, not a test: `go test`
// without -bench does not run it.
func BenchmarkKubeLarge(b *testing.B) {
	if bin := os.Getenv("PODROUTES_KUBE_BENCH_BIN"); bin != "" {
		defer func(was string) { podroutesBin = was }(podroutesBin)
		podroutesBin = bin
	}
	const n, images, annotation = 80, 4500, 250 << 10
	timeBin := nstest.Tool(b, "time", "time")
	c, host := benchLab(b)
	c.CreateNodesAs(b, k8stest.Fleet(n), func(node k8stest.Node, seed int) *corev1.Node {
		return k8stest.LargeNode(node, seed, images, annotation)
	})
	kubeconfig, lock := c.Kubeconfig(b, c.Tokens.Podroutes), b.TempDir()+"/lock"
	in := []string{"ip", "netns", "exec", host.Name}
	var checkPeak, watchPeak float64
	for b.Loop() {
		if r := runBin(b, nil, in, "remove", "--all", "--lock", lock); r.code != exitOK {
			b.Fatalf("remove --all: exit %d: %s", r.code, r.stderr)
		}
		// check's peak from GNU time, which forks: the rusage of a child
		// Go starts (with vfork) counts the memory of this benchmark,
		// which made the Nodes, as the child's before its exec.
		r := runBin(b, nil, append([]string{timeBin, "-f", "maxrss %M"}, in...), "check", "--kubeconfig", kubeconfig, "--node", "bench")
		_, kb, found := strings.Cut(r.stderr, "maxrss ")
		kib, err := strconv.ParseFloat(strings.TrimSpace(kb), 64)
		if r.code != exitFailure || !found || err != nil { // exit 1: every route missing
			b.Fatalf("check --kubeconfig: exit %d, want 1 and its peak RSS:\n%s", r.code, r.stderr)
		}
		checkPeak = max(checkPeak, kib/1024)

		w := startBin(b, nil, in, "watch", "--kubeconfig", kubeconfig, "--node", "bench", "--lock", lock)
		countRoutes(b, host, n, time.Now(), 2*time.Minute)
		_, hwm := status(b, w.cmd.Process.Pid)
		watchPeak = max(watchPeak, hwm)
		w.signal(b, syscall.SIGTERM)
		if code, out := w.wait(b); code != exitOK {
			b.Fatalf("watch exited %d:\n%s", code, out)
		}
	}
	b.ReportMetric(checkPeak, "MB-check-peak")
	b.ReportMetric(watchPeak, "MB-watch-peak")
	if out := os.Getenv("PODROUTES_KUBE_BENCH_LARGE"); out != "" {
		md := fmt.Sprintf("| large Nodes | each | `check --kubeconfig` peak RSS | `watch --kubeconfig` peak RSS |\n"+
			"|---|---|---|---|\n| %d | %d images, a %d KB annotation | %.1f MB | %.1f MB |\n",
			n, images, annotation>>10, checkPeak, watchPeak)
		b.Logf("\n%s", md)
		filetest.Write(b, out, md, 0o644)
	}
	for what, peak := range map[string]float64{"check": checkPeak, "watch": watchPeak} {
		if peak > 60 {
			b.Errorf("%s --kubeconfig peaked at %.1f MB RSS with %d large Nodes, want 60 MB at most", what, peak, n)
		}
	}
}

// countRoutes waits until ns holds n routes of podroutes.
func countRoutes(t testing.TB, ns *nstest.NS, n int, start time.Time, limit time.Duration) {
	t.Helper()
	for {
		got := strings.Count(ns.IP(t, "route", "show", "proto", "157"), "\n")
		if got == n {
			return
		}
		if time.Since(start) > limit {
			t.Fatalf("%d routes after %s, want %d", got, limit, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// status is the memory /proc/PID/status reports, in MB (MiB).
func status(t testing.TB, pid int) (rss, peak float64) {
	t.Helper()
	p, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.NewStatus()
	if err != nil {
		t.Fatal(err)
	}
	return float64(st.VmRSS) / (1 << 20), float64(st.VmHWM) / (1 << 20)
}

// benchLab is the Kubernetes benchmarks' lab: a control plane in a
// namespace of its own, with podroutes' RBAC, and the host that follows
// it, both on one /16, which holds every Node's InternalIP (k8stest.Fleet:
// 10.240.0.20 on).
func benchLab(b *testing.B) (*k8stest.Cluster, *nstest.NS) {
	server, host := nstest.New(b), nstest.New(b)
	nstest.Veth(b, server, "eth0", host, "eth0")
	server.IP(b, "addr", "add", "10.240.0.10/16", "dev", "eth0")
	host.IP(b, "addr", "add", "10.240.255.1/16", "dev", "eth0")
	c := k8stest.Start(b, server.Name, "10.240.0.10")
	c.ApplyRBAC(b, k8stest.RepoPath(b, "examples/rbac.yaml"))
	return c, host
}
