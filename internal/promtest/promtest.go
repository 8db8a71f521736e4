// Package promtest checks metrics with Prometheus' own tools, for tests:
// promtool, a real node_exporter reading a textfile directory, and
// scrapes made from inside a test's network namespace.
package promtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/nstest"
)

// Promtool runs `promtool ARGS...` with stdin and fails the test unless it
// exits 0; it returns the output.
func Promtool(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(nstest.Tool(t, "promtool", "prometheus"), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// CheckMetrics fails the test unless `promtool check metrics` finds
// nothing wrong with the exposition what: no lint problem either (it
// exits 0 on some of those, printing them).
func CheckMetrics(t testing.TB, what, exposition string) {
	t.Helper()
	if out := Promtool(t, exposition, "check", "metrics"); out != "" {
		t.Errorf("promtool check metrics on %s:\n%s", what, out)
	}
}

// Scrape gets http://addr/metrics from inside ns, so that a server there
// on the namespace's loopback is reachable.
func Scrape(t testing.TB, ns *nstest.NS, addr string) (string, error) {
	t.Helper()
	var conn net.Conn
	var err error
	ns.Do(t, func() { conn, err = net.DialTimeout("tcp", addr, time.Second) })
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return "", err
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return "", fmt.Errorf("scraping %s: %w", addr, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return "", fmt.Errorf("scraping %s: %w", addr, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		return "", fmt.Errorf("scraping %s: %w", addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("scraping %s: %s\n%s", addr, resp.Status, body.String())
	}
	return body.String(), nil
}

// NodeExporter starts Debian's prometheus-node-exporter inside ns, on the
// namespace's loopback, with only the textfile collector reading dir; it
// is killed (by its PID) when the test ends. It returns the address to
// Scrape once the exporter answers.
func NodeExporter(t testing.TB, ns *nstest.NS, dir string) string {
	t.Helper()
	const addr = "127.0.0.1:9100" // the namespace's own: nothing else listens there
	bin := nstest.Tool(t, "prometheus-node-exporter", "prometheus-node-exporter")
	// `ip netns exec` execs the exporter: the PID is the exporter's.
	cmd := exec.Command("ip", "netns", "exec", ns.Name, bin, "--web.listen-address="+addr,
		"--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory="+dir)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node_exporter: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("node_exporter's log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := Scrape(t, ns, addr)
		if err == nil {
			return addr
		}
		select {
		case <-done:
			t.Fatalf("node_exporter exited: %v\n%s", cmd.ProcessState, log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("node_exporter does not answer on %s after 5s: %v", addr, err)
		}
	}
}

// Value is the value of the sample series (`name{labels}` as exposed) in
// the exposition, and whether it is there.
func Value(exposition, series string) (float64, bool) {
	for _, l := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}
