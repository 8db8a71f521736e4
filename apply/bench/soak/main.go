// Command soak runs labs of hosts in network namespaces, each host running
// `podroutes watch`: in one lab from a shared inventory, in the other (the
// kube variant) following a real kube-apiserver, in the third (segments) on
// two networks joined by a router, following a YAML inventory with
// offLink: vxlan; it injects faults in all
// at once on a seeded schedule and, after every quiet period, checks every
// host against an expectation it computes itself from the inventory it
// wrote or the Nodes it created (issue 23): every other node's pod subnet
// via its address, in place or its conflict named by `podroutes check`; no
// other owner's route deleted or changed; check's exit status and the
// metrics textfile agree with the kernel. It samples each watcher's RSS,
// file descriptors, goroutines, threads and CPU; a run of 5 minutes or more
// whose RSS, fds or goroutines are not flat (the last tenth more than 10%
// above the first) counts that as a divergence. It prints a summary,
// writes an SVG plot, and ends with the line the bar parses:
//
//	soak: D divergences, F faults of K kinds, converge p99 P ms max M ms, rss first R1 MB last R2 MB, fds first N1 last N2
//
// Usage (as root): go run ./apply/bench/soak [-duration 10m] [-seed N] [-source all] [-svg FILE] BIN
//
// It drives podroutes only through its CLI and observes only the kernel
// (ip -j), the check report and the metrics. Everything lives in
// network namespaces named prsoak-<pid>-*, deleted on exit (also on SIGINT
// and SIGTERM); the root namespace is never touched. Exit status: 0 no
// divergence, 1 a divergence (its seed, the schedule so far and each host's
// table printed), 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	o := options{out: os.Stdout}
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to inject faults")
	flag.Uint64Var(&o.seed, "seed", 0, "the schedule's seed (0: from the clock, printed to replay it)")
	flag.IntVar(&o.hosts, "hosts", 12, "hosts in each lab")
	source := flag.String("source", "all", "the labs, run at once: inventory, kube, segments (two segments, a YAML inventory with offLink: vxlan), a comma-separated list of them, both (inventory,kube) or all")
	flag.StringVar(&o.svg, "svg", "", "write the plot of RSS and convergence time to this SVG file")
	flag.StringVar(&o.schedule, "schedule", "", "write the schedule of faults to this file at the end (a divergence prints it)")
	flag.DurationVar(&o.quiet, "quiet", 3*time.Second, "the quiet period after each burst of faults")
	flag.DurationVar(&o.bound, "bound", 10*time.Second, "the longest convergence that is not a divergence")
	flag.IntVar(&o.apiGap, "api-gap", 10, "the fewest bursts of faults between two API server restarts (about 4 s each)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage (as root): soak [flags] BIN")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.sources = parseSources(*source)
	if flag.NArg() != 1 || os.Geteuid() != 0 || o.sources == nil {
		flag.Usage()
		os.Exit(2)
	}
	o.bin, _ = filepath.Abs(flag.Arg(0))
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "soak: stopped by a signal; the lab is gone")
	case err != nil && !errors.Is(err, errDiverged):
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	if res != nil {
		fmt.Fprintln(o.out, res.line())
	}
	if err != nil {
		stop()
		os.Exit(1)
	}
}

// parseSources is -source's labs, nil for a name that is none.
func parseSources(s string) []string {
	switch s {
	case "all":
		return []string{inventorySourceName, kubeSourceName, segmentsSourceName}
	case "both":
		return []string{inventorySourceName, kubeSourceName}
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		if !slices.Contains([]string{inventorySourceName, kubeSourceName, segmentsSourceName}, name) || slices.Contains(out, name) {
			return nil
		}
		out = append(out, name)
	}
	return out
}
