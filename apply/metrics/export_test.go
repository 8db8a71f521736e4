package metrics

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/filetest"
)

// TestPath: --metrics-file auto is node_exporter's directory only if it
// is there; an explicit file needs its directory.
func TestPath(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	filetest.Write(t, notDir, "", 0o644)
	for _, c := range []struct{ flag, autoDir, want, err string }{
		{"", dir, "", ""},
		{"auto", dir, filepath.Join(dir, "podroutes.prom"), ""},
		{"auto", filepath.Join(dir, "none"), "", ""},
		{"auto", notDir, "", "--metrics-file auto: " + notDir + " is not a directory"},
		{filepath.Join(dir, "x.prom"), "", filepath.Join(dir, "x.prom"), ""},
		{filepath.Join(dir, "none", "x.prom"), "", "", "--metrics-file " + filepath.Join(dir, "none", "x.prom") + ": its directory must exist"},
	} {
		got, err := path(c.flag, c.autoDir)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("path(%q, %q) = %q, %v; want %q, error %q", c.flag, c.autoDir, got, err, c.want, c.err)
		}
	}
}

// TestServe: /metrics serves podroutes' metrics and the runtime's; other
// paths are not found; the server stops with its context.
func TestServe(t *testing.T) {
	m := New(Options{Version: "v1.2.3", Watch: true})
	m.Passed("start", planned(reconcile.Result{InPlace: 2, Added: 2, Left: left(map[reconcile.State]int{reconcile.InPlace: 2})}), nil, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := m.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string, error) {
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	code, body, err := get("/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v", code, err)
	}
	for _, want := range []string{
		`podroutes_routes{state="in_place"} 2`, `podroutes_route_changes_total{operation="add"} 2`,
		"podroutes_heals_total 0", "\ngo_goroutines ", "\nprocess_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if code, _, err := get("/"); code != http.StatusNotFound {
		t.Errorf("GET /: %d, %v; want 404", code, err)
	}
	cancel()
	for range 100 {
		if _, _, err = get("/metrics"); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("still serving a second after its context ended")
}
