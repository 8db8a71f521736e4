package boot

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// textfile is where the units' --metrics-file auto writes, when its
// directory exists (metrics.AutoPath).
const textfile = "/var/lib/prometheus/node-exporter/podroutes.prom"

// testMetrics: where node_exporter's textfile directory exists, the boot
// apply and then the watcher write podroutes.prom under their hardening
// (ProtectSystem=strict opened by ReadWritePaths=): the watcher's file is
// checked, then apply's, rewritten by a reload with the watcher stopped; with
// metrics-address.conf the watcher serves /metrics on 127.0.0.1:9157 (the
// drop-in's RestrictAddressFamilies=). Its IPAddressAllow= goes untested
// here: systemd enforces IP access lists with BPF on the unified cgroup
// hierarchy only, and this container's systemd runs on cgroup v1.
func testMetrics(ctx context.Context, t *testing.T, f fixture) {
	lab, m := newMachine(ctx, t, f, map[string]string{
		"/var/lib/prometheus/node-exporter/README": "node_exporter's textfile directory\n",
	}, "podroutes-watch.service")
	installDropIn(ctx, t, m, "podroutes-watch.service", "metrics-address.conf")
	uplinkUp(ctx, t, lab)
	boot(ctx, t, lab, m)
	wantActive(ctx, t, m, 1)
	if u := unit(ctx, t, m, "podroutes-watch.service"); u["ActiveState"] != "active" {
		t.Fatalf("podroutes-watch.service %s, want active", u["ActiveState"])
	}
	// The watcher's first pass rewrites the boot apply's file: its heal
	// counter says which wrote it.
	var text string
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(m.InRoot(textfile))
		if text = string(data); strings.Contains(text, "podroutes_heals_total 0") || time.Now().After(end) {
			break
		}
	}
	for _, want := range []string{`podroutes_routes{state="in_place"} 1`, "podroutes_heals_total 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", textfile, want, text)
		}
	}
	// bash's /dev/tcp, inside the machine: the scrape comes from localhost.
	scrape, err := m.Exec(ctx, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9157 && "+
		`printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3`)
	if err != nil || !strings.Contains(scrape, "200 OK") ||
		!strings.Contains(scrape, `podroutes_routes{state="in_place"} 1`) || !strings.Contains(scrape, "process_resident_memory_bytes") {
		t.Errorf("scraping the watcher at 127.0.0.1:9157: %v\n%s", err, scrape)
	}
	// podroutes.service writes the same file: with the watcher stopped, its
	// reload rewrites it, without the heal counter only the watcher has.
	mustExec(ctx, t, m, "systemctl", "stop", "podroutes-watch.service")
	mustExec(ctx, t, m, "systemctl", "reload", "podroutes.service")
	data, err := os.ReadFile(m.InRoot(textfile))
	if text := string(data); err != nil || !strings.Contains(text, `podroutes_routes{state="in_place"} 1`) || strings.Contains(text, "podroutes_heals_total") {
		t.Errorf("%s after podroutes.service's reload: %v\n%s", textfile, err, text)
	}
	shutdown(ctx, t, m)
}
