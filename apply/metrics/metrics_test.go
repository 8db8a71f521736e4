package metrics

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/golden"
)

// Metrics is what watch tells of each pass and heal.
var _ watch.Observer = (*Metrics)(nil)

// left builds a Result's Left from state=count pairs.
func left(counts map[reconcile.State]int) (l [reconcile.NumStates]int) {
	for s, n := range counts {
		l[s] = n
	}
	return l
}

// planned is r as a pass that planned returns it (Result.Planned).
func planned(r reconcile.Result) reconcile.Result {
	r.Final = []reconcile.Final{}
	return r
}

// TestPasses: each pass counts by result, adds its changes, and sets the
// route gauges, except a pass that failed before it planned; a success sets
// the last success time.
func TestPasses(t *testing.T) {
	m := New(Options{Version: "v1.2.3"})
	value := func(name, label string) float64 {
		t.Helper()
		switch name {
		case "routes":
			return testutil.ToFloat64(m.routes.WithLabelValues(label))
		case "changes":
			return testutil.ToFloat64(m.changes.WithLabelValues(label))
		case "passes":
			return testutil.ToFloat64(m.passes.WithLabelValues(label))
		case "paths":
			return testutil.ToFloat64(m.paths.WithLabelValues(label))
		}
		return testutil.ToFloat64(m.lastSuccess)
	}
	expect := func(what string, want map[[2]string]float64) {
		t.Helper()
		for k, v := range want {
			if got := value(k[0], k[1]); got != v {
				t.Errorf("%s: %s{%s} = %v, want %v", what, k[0], k[1], got, v)
			}
		}
	}

	conflict := errors.New("route 10.200.2.0/24: another owner (static) holds the destination")
	m.Applied(planned(reconcile.Result{InPlace: 2, Added: 1, Replaced: 1, Pruned: 1,
		Left: left(map[reconcile.State]int{reconcile.InPlace: 2, reconcile.Held: 1, reconcile.Missing: 1})}), conflict)
	expect("a pass with a conflict", map[[2]string]float64{
		{"routes", "in_place"}: 2, {"routes", "conflict"}: 1, {"routes", "missing"}: 1, {"routes", "stale"}: 0,
		{"changes", "add"}: 1, {"changes", "replace"}: 1, {"changes", "delete"}: 1,
		{"passes", "failure"}: 1, {"passes", "success"}: 0, {"last", ""}: 0,
	})

	m.Passed("config reload", reconcile.Result{}, &apply.RefusedError{}, 0)
	m.Passed("link eth0 up", reconcile.Result{}, errors.New("listing links and addresses: interrupted"), 0)
	m.Refused() // a config that cannot be loaded
	expect("passes that read no destination", map[[2]string]float64{
		{"routes", "in_place"}: 2, {"routes", "conflict"}: 1, {"passes", "refused"}: 2, {"passes", "failure"}: 2,
	})

	before := float64(time.Now().UnixNano()) / 1e9
	m.Passed("periodic resync", planned(reconcile.Result{InPlace: 3, Added: 1, Left: left(map[reconcile.State]int{reconcile.InPlace: 3})}), nil, 0)
	after := float64(time.Now().UnixNano()) / 1e9
	expect("a success", map[[2]string]float64{
		{"routes", "in_place"}: 3, {"routes", "conflict"}: 0, {"routes", "missing"}: 0,
		{"changes", "add"}: 2, {"passes", "success"}: 1,
	})
	if got := value("last", ""); got < before || got > after {
		t.Errorf("last success %f, want between %f and %f", got, before, after)
	}

	// A full pass says each route's path; a heal (no Paths) leaves them.
	m.Applied(planned(reconcile.Result{InPlace: 3, Left: left(map[reconcile.State]int{reconcile.InPlace: 3}),
		Paths: map[string]int{"direct": 1, "vxlan": 2}}), nil)
	m.Passed("route 10.200.1.0/24 deleted", planned(reconcile.Result{InPlace: 3, Left: left(map[reconcile.State]int{reconcile.InPlace: 3})}), nil, time.Millisecond)
	expect("paths", map[[2]string]float64{{"paths", "direct"}: 1, {"paths", "vxlan"}: 2})

	// An empty config in sync: zero routes, every gauge 0, a success.
	m.Applied(planned(reconcile.Result{}), nil)
	expect("an empty config", map[[2]string]float64{{"routes", "in_place"}: 0, {"passes", "success"}: 4})
}

// TestHeals: only watch's metrics count heals, in the histogram's buckets.
func TestHeals(t *testing.T) {
	a := New(Options{Version: "v1"})
	a.Passed("route deleted", reconcile.Result{}, nil, time.Second) // apply never heals: nothing to count, no panic
	if n, err := testutil.GatherAndCount(a.reg, "podroutes_heals_total", "podroutes_heal_duration_seconds"); err != nil || n != 0 {
		t.Errorf("apply's metrics have %d heal series (%v), want none", n, err)
	}
	w := New(Options{Version: "v1", Watch: true})
	w.Passed("route deleted", reconcile.Result{}, nil, 45*time.Millisecond)
	w.Passed("periodic resync", reconcile.Result{}, nil, 0) // not a heal
	w.Passed("link eth0 up", reconcile.Result{}, nil, 300*time.Millisecond)
	if got := testutil.ToFloat64(w.heals); got != 2 {
		t.Errorf("heals %v, want 2", got)
	}
	// 45 ms falls in the 0.05 bucket, 300 ms in 0.5; buckets count
	// cumulatively, one per healBuckets bound.
	var got dto.Metric
	if err := w.healTime.Write(&got); err != nil {
		t.Fatal(err)
	}
	h := got.GetHistogram()
	var counts []uint64
	for _, b := range h.GetBucket() {
		counts = append(counts, b.GetCumulativeCount())
	}
	if want := []uint64{0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2}; !slices.Equal(counts, want) || h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-0.345) > 1e-9 {
		t.Errorf("heal histogram: buckets %v, count %d, sum %v; want buckets %v, count 2, sum 0.345", counts, h.GetSampleCount(), h.GetSampleSum(), want)
	}
}

// TestTextfile: the file is the whole registry in the text format,
// readable by node_exporter's user (0644), replaced by a rename (no
// temporary file left); testdata/watch.prom shows it after a pass that
// left a conflict and a heal. A failure to write is logged once, and its
// end.
func TestTextfile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "podroutes.prom")
	var log logged
	m := New(Options{Version: "v1.2.3", Watch: true, File: file, Log: &log})
	m.Passed("route deleted", planned(reconcile.Result{InPlace: 1, Added: 1,
		Left: left(map[reconcile.State]int{reconcile.InPlace: 1, reconcile.Held: 1})}), errors.New("conflict"), 60*time.Millisecond)

	data := filetest.Read(t, file)
	got := strings.ReplaceAll(string(data), runtime.Version(), "GOVERSION")
	golden.Check(t, filepath.Join("testdata", "watch.prom"), []byte(got))
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: %v, %v; want mode 0644", file, fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%s holds %d files, want only podroutes.prom: %v", dir, len(entries), entries)
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	m.Passed("retry", reconcile.Result{}, errors.New("x"), 0)
	m.Passed("retry", reconcile.Result{}, errors.New("x"), 0)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m.Passed("retry", reconcile.Result{}, errors.New("x"), 0)
	want := []string{
		"warn: writing metrics to " + file + ": open " + dir + "/",
		"info: writing metrics to " + file + " works again",
	}
	if len(log) != 2 || !strings.HasPrefix(log[0], want[0]) || log[1] != want[1] {
		t.Errorf("logged:\n%s\nwant one line starting %q, then %q", strings.Join(log, "\n"), want[0], want[1])
	}
}

// TestTextfileGuarded: Auto's directory swapped for a symlink while watch
// runs is not written through: the write fails, logged once, until the
// directory is root's own again.
func TestTextfileGuarded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node-exporter")
	elsewhere := t.TempDir()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "podroutes.prom")
	var log logged
	m := New(Options{Version: "v1.2.3", File: file, Guarded: true, Log: &log})
	m.Passed("start", reconcile.Result{}, nil, 0)
	filetest.Read(t, file)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, dir); err != nil {
		t.Fatal(err)
	}
	m.Passed("retry", reconcile.Result{}, nil, 0)
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("wrote through the symlink: %v", entries)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m.Passed("retry", reconcile.Result{}, nil, 0)
	filetest.Read(t, file)
	want := []string{
		"warn: writing metrics to " + file + ": " + dir + " is a symlink, not a directory",
		"info: writing metrics to " + file + " works again",
	}
	if !slices.Equal(log, want) {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
}

type logged []string

func (l *logged) Infof(format string, args ...any) {
	*l = append(*l, "info: "+fmt.Sprintf(format, args...))
}
func (l *logged) Warnf(format string, args ...any) {
	*l = append(*l, "warn: "+fmt.Sprintf(format, args...))
}
func (l *logged) Errorf(format string, args ...any) {
	*l = append(*l, "error: "+fmt.Sprintf(format, args...))
}
