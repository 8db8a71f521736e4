//go:build !nokube

package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// TestKubeBench measures `podroutes watch --kubeconfig` following 5000
// Nodes as kubelets register them (k8stest.KubeletNode: 40 images each,
// about 12 KB of JSON): the time to the first 5000 routes, a Node's
// change reaching the routes, and the watcher's memory (RSS now and at
// its peak), which must stay at 40 MB or less. It runs for `make bench`
// (gen/kube/bench.sh), which names in PODROUTES_KUBE_BENCH the file its
// Markdown table goes to, and in PODROUTES_KUBE_BENCH_BIN the binary to
// measure (the packages' build: stripped, whose resident code is smaller
// than the test's binary's); otherwise it skips.
func TestKubeBench(t *testing.T) {
	out := os.Getenv("PODROUTES_KUBE_BENCH")
	if out == "" {
		t.Skip("a benchmark: make bench runs it (PODROUTES_KUBE_BENCH=FILE)")
	}
	if bin := os.Getenv("PODROUTES_KUBE_BENCH_BIN"); bin != "" {
		defer func(was string) { podroutesBin = was }(podroutesBin)
		podroutesBin = bin
	}
	n := 5000
	if s := os.Getenv("PODROUTES_KUBE_BENCH_NODES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	// The server and the host on one /16, which holds every Node's
	// InternalIP (k8stest.Fleet: 10.240.0.20 on).
	server, host := nstest.New(t), nstest.New(t)
	nstest.Veth(t, server, "eth0", host, "eth0")
	server.IP(t, "addr", "add", "10.240.0.10/16", "dev", "eth0")
	host.IP(t, "addr", "add", "10.240.255.1/16", "dev", "eth0")
	c := k8stest.Start(t, server.Name, "10.240.0.10")
	c.ApplyRBAC(t, k8stest.RepoPath(t, "examples/rbac.yaml"))
	began := time.Now()
	c.CreateNodes(t, k8stest.Fleet(n))
	created := time.Since(began)

	start := time.Now()
	w := startBin(t, nil, []string{"ip", "netns", "exec", host.Name}, "watch", "--kubeconfig", c.Kubeconfig(t, c.Tokens.Podroutes),
		"--node", "bench", "--lock", t.TempDir()+"/lock")
	countRoutes(t, host, n, start, 2*time.Minute)
	first := time.Since(start)
	time.Sleep(2 * time.Second) // let the collector catch up
	settled, _ := status(t, w.cmd.Process.Pid)

	start = time.Now()
	c.SetNodeAddresses(t, "node-1234", netip.MustParseAddr("10.240.254.1"))
	for !strings.Contains(host.IP(t, "route", "show", "10.204.210.0/24"), "via 10.240.254.1") { // node-1234's subnet
		if time.Since(start) > 10*time.Second {
			t.Fatalf("node-1234 re-addressed: its route is %q after 10 s", host.IP(t, "route", "show", "10.204.210.0/24"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	readdressed := time.Since(start)
	after, peak := status(t, w.cmd.Process.Pid)

	md := fmt.Sprintf("| Nodes | created in | first %d routes | a Node re-addressed, routed in | RSS settled | RSS after a change | peak RSS |\n"+
		"|---|---|---|---|---|---|---|\n| %d | %s | %s | %s | %.1f MB | %.1f MB | %.1f MB |\n",
		n, n, created.Round(time.Second), first.Round(10*time.Millisecond), readdressed.Round(time.Millisecond),
		settled, after, peak)
	t.Logf("\n%s", md)
	filetest.Write(t, out, md, 0o644)
	if peak > 40 {
		t.Errorf("watch --kubeconfig peaked at %.1f MB RSS with %d Nodes, want 40 MB at most", peak, n)
	}
}

// countRoutes waits until ns holds n routes of podroutes.
func countRoutes(t *testing.T, ns *nstest.NS, n int, start time.Time, limit time.Duration) {
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
func status(t *testing.T, pid int) (rss, peak float64) {
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
