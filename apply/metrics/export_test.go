package metrics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/filetest"
)

// TestPath: --metrics-file auto is node_exporter's directory only if it
// is there, a directory (not a symlink) that only root may change; else
// it is no file, with a warning if the directory is there but unfit. An
// explicit file needs its directory, and must not be one.
func TestPath(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	filetest.Write(t, notDir, "", 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	open, others := filepath.Join(dir, "open"), filepath.Join(dir, "others")
	for _, d := range []string{open, others} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(others, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	const noFile = "; writing no metrics file"
	for _, c := range []struct{ flag, autoDir, want, err, warn string }{
		{"", dir, "", "", ""},
		{"auto", dir, filepath.Join(dir, "podroutes.prom"), "", ""},
		{"auto", filepath.Join(dir, "none"), "", "", ""},
		{"auto", notDir, "", "", "--metrics-file auto: " + notDir + " is not a directory" + noFile},
		{"auto", link, "", "", "--metrics-file auto: " + link + " is a symlink, not a directory" + noFile},
		{"auto", open, "", "", "--metrics-file auto: " + open + " is writable by others (mode 0777)" + noFile},
		{"auto", others, "", "", "--metrics-file auto: " + others + " is owned by uid 65534, not root" + noFile},
		{filepath.Join(dir, "x.prom"), "", filepath.Join(dir, "x.prom"), "", ""},
		{dir, "", "", "--metrics-file " + dir + ": is a directory; want the file to write (podroutes.prom in node_exporter's directory)", ""},
		{link, "", "", "--metrics-file " + link + ": is a directory", ""},
		{filepath.Join(dir, "none", "x.prom"), "", "", "--metrics-file " + filepath.Join(dir, "none", "x.prom") + ": its directory must exist", ""},
	} {
		var log logged
		got, err := path(c.flag, c.autoDir, &log)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("path(%q, %q) = %q, %v; want %q, error %q", c.flag, c.autoDir, got, err, c.want, c.err)
		}
		if want := []string{"warn: " + c.warn}; (c.warn == "" && len(log) != 0) || (c.warn != "" && !slices.Equal(log, want)) {
			t.Errorf("path(%q, %q) logged %q, want %q", c.flag, c.autoDir, log, c.warn)
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

// TestServeLimits: a connection left idle after its scrape is closed
// once the idle timeout passes; past the cap a connection waits, unserved,
// until one is closed, and then its scrape is answered.
func TestServeLimits(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		addr := serveWith(t, limits{readHeader: time.Minute, read: time.Minute, write: time.Minute, idle: 50 * time.Millisecond, conns: 4})
		var conns []*scraper
		for range 12 { // three times the cap: the last ones wait for the first to be closed
			conns = append(conns, dial(t, addr))
		}
		for i, c := range conns {
			if err := c.scrape(5 * time.Second); err != nil {
				t.Fatalf("scrape on connection %d: %v", i, err)
			}
			if err := c.closed(5 * time.Second); err != nil {
				t.Fatalf("idle connection %d: %v; want it closed after the 50ms idle timeout", i, err)
			}
		}
	})
	t.Run("cap", func(t *testing.T) {
		addr := serveWith(t, limits{readHeader: time.Minute, read: time.Minute, write: time.Minute, idle: time.Minute, conns: 4})
		var idle []*scraper
		for i := range 4 {
			c := dial(t, addr)
			if err := c.scrape(5 * time.Second); err != nil {
				t.Fatalf("scrape on connection %d: %v", i, err)
			}
			idle = append(idle, c)
		}
		over := dial(t, addr)
		if err := over.scrape(200 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("scrape past the cap of 4 connections: %v; want it to wait", err)
		}
		idle[0].conn.Close()
		if err := over.response(5 * time.Second); err != nil {
			t.Fatalf("scrape past the cap, once a connection is closed: %v", err)
		}
	})
}

func serveWith(t *testing.T, lim limits) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, err := New(Options{Version: "v1.2.3"}).serve(ctx, "127.0.0.1:0", lim)
	if err != nil {
		t.Fatal(err)
	}
	return addr.String()
}

// scraper is one keep-alive connection to /metrics, spoken by hand so
// that the test sees when the server closes it.
type scraper struct {
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *scraper {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &scraper{conn: c, r: bufio.NewReader(c)}
}

// scrape sends a GET /metrics and reads its answer within d.
func (s *scraper) scrape(d time.Duration) error {
	if _, err := io.WriteString(s.conn, "GET /metrics HTTP/1.1\r\nHost: podroutes\r\n\r\n"); err != nil {
		return err
	}
	return s.response(d)
}

// response reads a 200 response to /metrics within d.
func (s *scraper) response(d time.Duration) error {
	s.conn.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(s.r, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && (resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("podroutes_build_info"))) {
		err = fmt.Errorf("%s, %d bytes without podroutes_build_info", resp.Status, len(body))
	}
	return err
}

// closed says nil if the server closes the connection within d.
func (s *scraper) closed(d time.Duration) error {
	s.conn.SetReadDeadline(time.Now().Add(d))
	if n, err := s.r.Read(make([]byte, 1)); err != io.EOF {
		return fmt.Errorf("read %d bytes, %v", n, err)
	}
	return nil
}
