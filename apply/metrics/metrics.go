// Package metrics is podroutes' Prometheus metrics: the routes by the
// state a pass leaves them in, the route changes, passes and heals
// counted, how long heals take, the time of the last successful apply and
// the build. It keeps them in a registry of its own (never the global
// one), and exports them as a node_exporter textfile, written atomically
// after each pass, or over HTTP for Prometheus to scrape. A *Metrics is a
// watch.Observer; Applied records the one-shot apply.
package metrics

import (
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/logs"
)

// Options say whose metrics these are and where they go.
type Options struct {
	// Version is podroutes' version, for podroutes_build_info.
	Version string
	// Watch adds the heal metrics: only watch heals, and their presence
	// in a textfile says watch wrote it (the "watch down" alert uses that).
	Watch bool
	// File, if set, is rewritten after each pass (heals are passes), for
	// node_exporter's textfile collector (see Path).
	File string
	// Guarded checks File's directory before each write as Path checks
	// Auto's (textfileDir): the units' --metrics-file auto, in a directory
	// whose parent another user may own (Debian's prometheus owns
	// /var/lib/prometheus) and so swap for a symlink while watch runs.
	Guarded bool
	// Log is told when writing File fails, and when it works again.
	Log logs.Logger
}

// Metrics are one podroutes process's metrics. Its methods are safe for
// the HTTP handler to gather concurrently; the recording methods are
// called from one goroutine (watch's, or apply's), except those of the
// Kubernetes source (Nodes, Answering), which may be called from any.
type Metrics struct {
	reg         *prometheus.Registry
	routes      *prometheus.GaugeVec
	paths       *prometheus.GaugeVec
	changes     *prometheus.CounterVec
	passes      *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	heals       prometheus.Counter   // nil unless Options.Watch
	healTime    prometheus.Histogram // nil unless Options.Watch
	file        string
	guarded     bool
	log         logs.Logger
	exporting   sync.Mutex // held while writing file, and for failing
	failing     bool       // writing file failed last time, and was logged
	kubeOnce    sync.Once
	k           *kubeMetrics // nil until the Kubernetes source reports
}

// Label values: podroutes_routes' state is reconcile's State, in words a
// query can use ("conflict" is another owner holding the destination).
var stateLabels = [reconcile.NumStates]string{
	reconcile.InPlace:     "in_place",
	reconcile.Missing:     "missing",
	reconcile.Different:   "different",
	reconcile.Held:        "conflict",
	reconcile.Stale:       "stale",
	reconcile.Unreachable: "unreachable",
	reconcile.LeftOut:     "left_out",
}

// Pass results, podroutes_passes_total's result label.
const (
	resultSuccess = "success" // every route in place
	resultFailure = "failure" // something failed or conflicts; retried
	resultRefused = "refused" // the config was refused before any write
)

// healBuckets suit a heal of milliseconds to seconds: watch starts its pass
// once a burst's events pause for 5 ms, and a deleted route is back in
// under 10 ms after its event (TestWatchMetrics, idle); all 5000 routes
// after a link flap in about 100 ms (BENCHMARKS.md, a busy node). The top
// buckets catch a stuck lock or a huge table.
var healBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// New returns the metrics of one podroutes process, every series present
// from the start: counters at 0, and podroutes_last_success_timestamp_seconds
// 0 until a pass succeeds. The route gauges appear with the first pass that
// reads the table.
func New(o Options) *Metrics {
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		routes:      gaugeVec("podroutes_routes", "state", "Destinations by the state the last pass left them in: in_place, missing, different, conflict (another owner's route), stale, unreachable (no link reaches the gateway), left_out (--kubeconfig: a Node's route this host's links make wrong, not written); all 0 while watch --kubeconfig cannot plan this host's routes from the Nodes."),
		changes:     counterVec("podroutes_route_changes_total", "operation", "Destinations fixed by a route add, a replace (or takeover), or a delete of a stale route."),
		passes:      counterVec("podroutes_passes_total", "result", "Apply passes by result: success (every route in place), failure (a write failed, a conflict, an unreachable gateway, a route left out), refused (bad config, nothing written)."),
		paths:       gaugeVec("podroutes_route_paths", "path", "Wanted destinations by the path the last full pass chose: direct (via the peer's node address on a link of this host) or vxlan (through podroutes-vx: offLink vxlan, the peer on no link of this host)."),
		lastSuccess: gauge("podroutes_last_success_timestamp_seconds", "When a pass of this process last ended with every route in place (Unix time); 0 if none has."),
		file:        o.File,
		guarded:     o.Guarded,
		log:         o.Log,
	}
	if m.log == nil {
		m.log = logs.Discard{}
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "podroutes_build_info",
		Help:        "Always 1; the labels name the podroutes version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": o.Version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(m.routes, m.paths, m.changes, m.passes, m.lastSuccess, build)
	for _, op := range []reconcile.Op{reconcile.Add, reconcile.Replace, reconcile.Delete} {
		m.changes.WithLabelValues(op.String())
	}
	for _, r := range []string{resultSuccess, resultFailure, resultRefused} {
		m.passes.WithLabelValues(r)
	}
	if o.Watch {
		m.heals = counter("podroutes_heals_total", "Passes that kernel events started and that wrote: routes restored after a link flap, a deleted route...")
		m.healTime = prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "podroutes_heal_duration_seconds",
			Help:    "Time from the first kernel event of a burst to the end of the pass that healed it, debounce included.",
			Buckets: healBuckets,
		})
		m.reg.MustRegister(m.heals, m.healTime)
	}
	return m
}

// gauge, counter, gaugeVec and counterVec declare a series by its name,
// its label if it has one, and its help: every declaration in one shape,
// one line (the build info, with its constant labels, and the heal
// histogram, with its buckets, apart).
func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

func gaugeVec(name, label, help string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{label})
}

func counterVec(name, label, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
}

// Applied records a pass of apply (the one-shot command, or one of
// watch's): its result and error, as apply.Apply returned them. A pass
// that failed before it planned (reconcile.Result.Planned: the config
// refused, the lock or the table out of reach) says nothing of the
// routes: the gauges keep what the last pass said.
// Then it writes the textfile, if there is one.
func (m *Metrics) Applied(res reconcile.Result, err error) {
	m.record(res, err)
	m.export()
}

// Passed records a pass of watch (watch.Observer), and the heal it was
// if healed is not 0, then writes the textfile once; why, free text, is
// not a label.
func (m *Metrics) Passed(_ string, res reconcile.Result, err error, healed time.Duration) {
	m.record(res, err)
	if healed > 0 && m.heals != nil {
		m.heals.Inc()
		m.healTime.Observe(healed.Seconds())
	}
	m.export()
}

// record is Applied without the export.
func (m *Metrics) record(res reconcile.Result, err error) {
	switch {
	case err == nil:
		m.passes.WithLabelValues(resultSuccess).Inc()
		m.lastSuccess.SetToCurrentTime()
	case apply.IsRefused(err):
		m.passes.WithLabelValues(resultRefused).Inc()
	default:
		m.passes.WithLabelValues(resultFailure).Inc()
	}
	m.changes.WithLabelValues(reconcile.Add.String()).Add(float64(res.Added))
	m.changes.WithLabelValues(reconcile.Replace.String()).Add(float64(res.Replaced))
	m.changes.WithLabelValues(reconcile.Delete.String()).Add(float64(res.Pruned))
	if res.Planned() {
		for s, n := range res.Left {
			m.routes.WithLabelValues(stateLabels[s]).Set(float64(n))
		}
	}
	for path, n := range res.Paths {
		m.paths.WithLabelValues(path).Set(float64(n))
	}
}

// Refused records a command that refused its config before any pass (it
// cannot be read, or is invalid) as a refused pass, and writes the
// textfile: one left by an earlier run must not pass for this one's.
func (m *Metrics) Refused() {
	m.passes.WithLabelValues(resultRefused).Inc()
	m.export()
}
