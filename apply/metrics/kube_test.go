package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/filetest"
)

// TestKubernetes: the Kubernetes series appear with the first report,
// say what the last one said, and reach the textfile; reports from other
// goroutines than the passes' are safe.
func TestKubernetes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "podroutes.prom")
	m := New(Options{Version: "v1", Watch: true, File: file})
	if n, err := testutil.GatherAndCount(m.reg, "podroutes_kubernetes_nodes", "podroutes_kubernetes_api_up"); err != nil || n != 0 {
		t.Fatalf("%d Kubernetes series (%v) before the source reports, want none", n, err)
	}
	race := func() {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(2)
			go func() { defer wg.Done(); m.Nodes(i, 1) }()
			go func() { defer wg.Done(); m.Answering(i%2 == 0) }()
			m.Passed("update", reconcile.Result{}, nil, 0)
		}
		wg.Wait()
	}
	race()
	// Failing writes too (the failure is logged once, from any goroutine).
	dir := filepath.Dir(file)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	race()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m.Nodes(4999, 1)
	m.Answering(false)
	if routed, not, up := testutil.ToFloat64(m.k.nodes.WithLabelValues("routed")), testutil.ToFloat64(m.k.nodes.WithLabelValues("not_routed")),
		testutil.ToFloat64(m.k.up); routed != 4999 || not != 1 || up != 0 {
		t.Errorf("routed %v, not routed %v, up %v; want 4999, 1, 0", routed, not, up)
	}
	data := filetest.Read(t, file)
	for _, want := range []string{`podroutes_kubernetes_nodes{state="not_routed"} 1`, "podroutes_kubernetes_api_up 0"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the textfile lacks %q:\n%s", want, data)
		}
	}
}
