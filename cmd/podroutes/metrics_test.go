package main

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/nstest"
	"github.com/podroutes/podroutes/internal/promtest"
)

// expectSeries fails the test unless each series has its value in the
// exposition from what.
func expectSeries(t *testing.T, what, exposition string, want map[string]float64) {
	t.Helper()
	for series, v := range want {
		if got, ok := promtest.Value(exposition, series); !ok || got != v {
			t.Errorf("%s: %s = %v (present %v), want %v", what, series, got, ok, v)
		}
	}
}

// TestApplyMetricsTextfile: a real node_exporter reads the textfile that
// `podroutes apply` writes: the routes, the changes and the pass, and no
// textfile error; a conflict and a refused config are reported too, a dry
// run writes nothing.
func TestApplyMetricsTextfile(t *testing.T) {
	ns, cfg, in := node0(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "podroutes.prom")
	exporter := promtest.NodeExporter(t, ns, dir)
	scrape := func() string {
		t.Helper()
		out, err := promtest.Scrape(t, ns, exporter)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	apply := func(code int, args ...string) {
		t.Helper()
		expect(t, "apply "+strings.Join(args, " "), runBin(t, nil, in, append([]string{"apply", "--metrics-file", file}, args...)...), code)
	}

	apply(0, "--config", cfg)
	promtest.CheckMetrics(t, file, string(filetest.Read(t, file)))
	expectSeries(t, "node_exporter after apply", scrape(), map[string]float64{
		"node_textfile_scrape_error":         0,
		`podroutes_routes{state="in_place"}`: 2, `podroutes_routes{state="missing"}`: 0,
		`podroutes_route_changes_total{operation="add"}`: 2, `podroutes_passes_total{result="success"}`: 1,
		`podroutes_build_info{goversion="` + runtime.Version() + `",version="dev"}`: 1,
	})
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: %v, %v; want 0644, readable by node_exporter's user", file, fi.Mode(), err)
	}
	if v, _ := promtest.Value(string(filetest.Read(t, file)), "podroutes_last_success_timestamp_seconds"); time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Errorf("last success at %v, want now", v)
	}

	ns.IP(t, "route", "replace", "10.200.2.0/24", "via", "10.240.0.99", "proto", "static", "metric", "100")
	apply(1, "--config", cfg)
	expectSeries(t, "node_exporter after a conflict", scrape(), map[string]float64{
		"node_textfile_scrape_error": 0, `podroutes_routes{state="conflict"}`: 1, `podroutes_routes{state="in_place"}`: 1,
		`podroutes_passes_total{result="failure"}`: 1, "podroutes_last_success_timestamp_seconds": 0,
	})

	apply(2, "--config", writeConfig(t, "node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n"))
	expectSeries(t, "node_exporter after a bad config", scrape(), map[string]float64{
		"node_textfile_scrape_error": 0, `podroutes_passes_total{result="refused"}`: 1,
	})

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	apply(0, "--config", cfg, "--dry-run", "--force")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("apply --dry-run wrote %s (%v)", file, err)
	}
	expect(t, "a file in no directory", runBin(t, nil, in, "apply", "--config", cfg, "--metrics-file", filepath.Join(dir, "none", "x.prom")),
		2, "--metrics-file "+filepath.Join(dir, "none", "x.prom")+": its directory must exist")
	if got := ns.IP(t, "route", "show", "10.200.2.0/24"); !strings.Contains(got, "proto static") {
		t.Errorf("a refused --metrics-file changed routes: %q", got)
	}
}

// TestWatchMetrics: `podroutes watch --metrics-address` serves the metrics
// inside the namespace; a deleted route comes back and the scrape counts
// the heal and its time, as does the textfile; promtool finds both clean.
func TestWatchMetrics(t *testing.T) {
	ns, cfg, in := node0(t)
	const addr = "127.0.0.1:9157" // the namespace's loopback
	file := filepath.Join(t.TempDir(), "podroutes.prom")
	startWatch(t, in, "--config", cfg, "--metrics-address", addr, "--metrics-file", file)
	before, err := promtest.Scrape(t, ns, addr)
	if err != nil {
		t.Fatal(err)
	}
	promtest.CheckMetrics(t, "watch's /metrics", before)
	expectSeries(t, "before", before, map[string]float64{
		"podroutes_heals_total": 0, "podroutes_heal_duration_seconds_count": 0,
		`podroutes_routes{state="in_place"}`: 2, `podroutes_route_changes_total{operation="add"}`: 2,
	})

	ns.IP(t, "route", "del", "10.200.1.0/24")
	start := time.Now()
	nstest.Timed(t, "route deleted", waitRoute(t, ns, start, "10.200.1.0/24", "via 10.240.0.21"))
	var after string
	for {
		if after, err = promtest.Scrape(t, ns, addr); err != nil {
			t.Fatal(err)
		}
		if v, _ := promtest.Value(after, "podroutes_heals_total"); v == 1 || time.Since(start) > nstest.Patience {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	expectSeries(t, "after a deleted route", after, map[string]float64{
		"podroutes_heals_total": 1, "podroutes_heal_duration_seconds_count": 1,
		`podroutes_routes{state="in_place"}`: 2, `podroutes_route_changes_total{operation="add"}`: 3,
		`podroutes_passes_total{result="failure"}`: 0,
	})
	took, _ := promtest.Value(after, "podroutes_heal_duration_seconds_sum")
	t.Logf("heal counted in podroutes_heal_duration_seconds: %.1f ms from the event to the end of the pass", took*1000)
	if took <= 0 || took > 1 {
		t.Errorf("heal took %vs, want between 0 and 1 s", took)
	}
	promtest.CheckMetrics(t, "watch's /metrics after a heal", after)
	text := string(filetest.Read(t, file))
	promtest.CheckMetrics(t, file, text)
	expectSeries(t, file, text, map[string]float64{"podroutes_heals_total": 1})
	if strings.Contains(text, "go_goroutines") {
		t.Errorf("the textfile has the Go runtime's metrics, which node_exporter has too:\n%s", text)
	}
	checkMonitoringSample(t, after)
}

// TestWatchMetricsAddress: a --metrics-address that is not HOST:PORT is
// bad usage (2); one already in use fails the start (1).
func TestWatchMetricsAddress(t *testing.T) {
	ns, cfg, in := node0(t)
	expect(t, "no port", runBin(t, nil, in, "watch", "--config", cfg, "--metrics-address", "127.0.0.1"), 2,
		`--metrics-address "127.0.0.1": want HOST:PORT`)
	var l net.Listener
	var err error
	ns.Do(t, func() { l, err = net.Listen("tcp", "127.0.0.1:9157") })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	expect(t, "in use", runBin(t, []string{"PODROUTES_METRICS_ADDRESS=127.0.0.1:9157"}, in, "watch", "--config", cfg), 1,
		"podroutes watch: listening for metrics scrapes: listen tcp 127.0.0.1:9157: bind: address already in use")
}

// monitoringDoc shows a sample scrape of watch.
const monitoringDoc = "../../docs/monitoring.md"

// checkMonitoringSample: the sample scrape in docs/monitoring.md has the
// same podroutes series, HELP and TYPE lines as a real one (the values
// differ).
func checkMonitoringSample(t *testing.T, scrape string) {
	t.Helper()
	doc := string(filetest.Read(t, monitoringDoc))
	const start = "```\n# HELP podroutes_build_info"
	i := strings.Index(doc, start)
	if i < 0 {
		t.Fatalf("%s has no sample scrape (a block starting with podroutes_build_info's HELP)", monitoringDoc)
	}
	sample := doc[i+4:]
	sample = sample[:strings.Index(sample, "```")]
	if got, want := seriesOf(sample), seriesOf(scrape); got != want {
		t.Errorf("%s's sample scrape has:\n%s\na real scrape has:\n%s", monitoringDoc, got, want)
	}
}

// seriesOf lists the podroutes lines of an exposition without their values
// (and the build's labels, which differ by build).
func seriesOf(exposition string) string {
	var out []string
	for _, l := range strings.Split(exposition, "\n") {
		switch {
		case strings.HasPrefix(l, "podroutes_build_info"):
			out = append(out, "podroutes_build_info")
		case strings.HasPrefix(l, "podroutes_"):
			out = append(out, l[:strings.LastIndexByte(l, ' ')])
		case strings.HasPrefix(l, "# ") && strings.Contains(l, " podroutes_"):
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsFileDirectoryRefused: --metrics-file naming a directory is
// bad usage at start (exit 2), not a warning at every pass.
func TestMetricsFileDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"apply", "watch"} {
		r := podroutes(t, cmd, "--metrics-file", dir, "--config", filepath.Join(dir, "none.yaml"))
		if want := "--metrics-file " + dir + ": is a directory"; r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("podroutes %s --metrics-file %s: exit %d, stderr %q; want 2 and %q", cmd, dir, r.code, r.stderr, want)
		}
	}
}
