// Package gotune fits the Go runtime to the podroutes command a process
// runs (its soft memory limit, garbage collection and processors), before
// the command starts: a one-shot apply at boot and a watcher that lives for
// months want different settings. The environment (GOMEMLIMIT, GOGC,
// GOMAXPROCS) overrides each.
package gotune

import (
	"os"
	"runtime"
	"runtime/debug"
)

// MemoryLimit is the soft limit (runtime/debug.SetMemoryLimit) of the
// commands that read and program routes: apply, check, remove and watch
// (a boot service and a daemon, on every node). It keeps the garbage
// collector from letting memory grow past what a boot service should
// take. A 20000-route apply holds a live heap of about 10 MB at its peak
// (GODEBUG=gctrace=1): at 16 MB the collector ran almost without pause and
// the apply took twice as long, so the limit leaves it room. A larger
// config goes past it, the collector then working harder. GOMEMLIMIT
// overrides it.
const MemoryLimit = 32 << 20

// WatchMemoryLimit is watch's, lower: it lives for months beside
// everything else on the node. With 5000 routes, a link flap's 10,000
// writes and their events (and, with --kubeconfig, 5000 kubelet Nodes in
// the informer) peak at about 33 MB of RSS under it and 40-46 MB under
// MemoryLimit, the heal as fast (96-118 ms, against 83-123); at 16 MiB
// the collector slowed the heal to 136-220 ms.
const WatchMemoryLimit = 20 << 20

// Runtime fits the Go runtime to the command args run, each setting
// unless the environment sets it. apply, check, remove and watch get the
// soft memory limit (GOMEMLIMIT). The one-shot commands (apply, check,
// remove) collect only at that limit (GOGC): a process that lives a tenth
// of a second gains nothing from collecting at every doubling of a few MB,
// which cost a no-op apply of 5000 routes a quarter of its time. watch,
// which lives for months, keeps the usual pacing, on one processor
// (GOMAXPROCS): its work is one event after another, and with a second
// processor idle each event woke a second thread to run the watcher, which
// doubled watch's CPU for pods coming and going.
func Runtime(args []string) {
	if len(args) < 2 {
		return
	}
	limit := os.Getenv("GOMEMLIMIT") == ""
	switch args[1] {
	case "apply", "check", "remove":
		if limit && os.Getenv("GOGC") == "" {
			debug.SetGCPercent(-1)
		}
		if limit {
			debug.SetMemoryLimit(MemoryLimit)
		}
	case "watch":
		if os.Getenv("GOMAXPROCS") == "" {
			runtime.GOMAXPROCS(1)
		}
		if limit {
			debug.SetMemoryLimit(WatchMemoryLimit)
		}
	}
}
