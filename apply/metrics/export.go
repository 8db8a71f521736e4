package metrics

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/podroutes/podroutes/internal/logs"
)

// TextfileDir is where Debian's prometheus-node-exporter reads *.prom
// files (its textfile collector's directory).
const TextfileDir = "/var/lib/prometheus/node-exporter"

// Auto is the --metrics-file value the units pass: AutoPath if
// TextfileDir exists (node_exporter is installed), else no file, so that a
// host without node_exporter needs no other unit.
const Auto = "auto"

// AutoPath is the file Auto names.
const AutoPath = TextfileDir + "/" + textfileName

const textfileName = "podroutes.prom"

// Path resolves a --metrics-file value: "" is no file; Auto is AutoPath,
// or "" when TextfileDir does not exist or is unfit to write into (see
// textfileDir; told to log: a metrics file never fails a pass); any other
// value is a file, not a directory, in a directory that must exist. The
// errors are the user's to fix.
func Path(flag string, log logs.Logger) (string, error) { return path(flag, TextfileDir, log) }

// FromFlag is New(o) writing the file a --metrics-file value names (Path;
// Auto's directory checked before each write, Options.Guarded), logging to
// o.Log. Its errors are Path's.
func FromFlag(flag string, o Options) (*Metrics, error) {
	file, err := Path(flag, o.Log)
	if err != nil {
		return nil, err
	}
	o.File, o.Guarded = file, flag == Auto
	return New(o), nil
}

func path(flag, autoDir string, log logs.Logger) (string, error) {
	switch flag {
	case "":
		return "", nil
	case Auto:
		switch err := textfileDir(autoDir); {
		case errors.Is(err, fs.ErrNotExist):
			return "", nil
		case err != nil:
			log.Warnf("--metrics-file %s: %v; writing no metrics file", Auto, err)
			return "", nil
		}
		return filepath.Join(autoDir, textfileName), nil
	}
	if fi, err := os.Stat(filepath.Dir(flag)); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("--metrics-file %s: its directory must exist (or give %q: node_exporter's %s if present)", flag, Auto, TextfileDir)
	}
	// A directory cannot be renamed over: every write would fail.
	if fi, err := os.Stat(flag); err == nil && fi.IsDir() {
		return "", fmt.Errorf("--metrics-file %s: is a directory; want the file to write (%s in node_exporter's directory)", flag, textfileName)
	}
	return flag, nil
}

// textfileDir says why dir is no directory for root to write the textfile
// into: a symlink, or a directory someone other than root may change,
// could send the file (written by root) anywhere, or swap it for another.
func textfileDir(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink, not a directory", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case fi.Mode().Perm()&0o002 != 0:
		return fmt.Errorf("%s is writable by others (mode %04o)", dir, fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		return fmt.Errorf("%s is owned by uid %d, not root", dir, st.Uid)
	}
	return nil
}

// export writes the textfile, if there is one, and logs a failure once
// until it works again (each failure names another temporary file): a
// full disk must not flood the journal at every event, nor fail a pass
// whose routes are in. A guarded file's directory is checked first.
func (m *Metrics) export() {
	if m.file == "" {
		return
	}
	m.exporting.Lock()
	defer m.exporting.Unlock()
	var err error
	if m.guarded {
		err = textfileDir(filepath.Dir(m.file))
	}
	if err == nil {
		err = prometheus.WriteToTextfile(m.file, m.reg)
	}
	switch {
	case err != nil && !m.failing:
		m.failing = true
		m.log.Warnf("writing metrics to %s: %v", m.file, err)
	case err == nil && m.failing:
		m.failing = false
		m.log.Infof("writing metrics to %s works again", m.file)
	}
}

// Handler serves the metrics for Prometheus to scrape, and the Go
// runtime's and the process's (go_*, process_*), which the textfile
// leaves out: node_exporter has its own of those names.
func (m *Metrics) Handler() http.Handler {
	runtimeReg := prometheus.NewRegistry()
	runtimeReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(prometheus.Gatherers{m.reg, runtimeReg}, promhttp.HandlerOpts{})
}

// Serve listens on addr (HOST:PORT) and serves Handler at /metrics until
// ctx is done. It returns once it listens, with the address it listens on
// (port 0 picks one); a later failure to serve is logged.
func (m *Metrics) Serve(ctx context.Context, addr string) (net.Addr, error) {
	return m.serve(ctx, addr, daemonLimits)
}

// limits bound what scrapers may hold of a daemon that also keeps the
// routes: each connection costs about 24 KB and an open file that the
// process collector counts at every scrape (4000 idle ones took watch
// from 22 MB to 116 MB and made a scrape 9 times dearer).
type limits struct {
	readHeader time.Duration // a request's headers must come within this
	read       time.Duration // the whole request
	write      time.Duration // the response
	idle       time.Duration // a keep-alive connection between requests
	conns      int           // connections served at once; others wait to be accepted
}

// daemonLimits: a scrape is one small GET and a response of a few KB. The
// idle timeout outlasts Prometheus' default 1m scrape interval, so that a
// Prometheus keeps its connection; a handful of scrapers (an HA pair, a
// curl) fit under the cap many times over.
var daemonLimits = limits{readHeader: 10 * time.Second, read: 30 * time.Second, write: 30 * time.Second, idle: 90 * time.Second, conns: 16}

func (m *Metrics) serve(ctx context.Context, addr string, lim limits) (net.Addr, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for metrics scrapes: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	// A scraper that is slow or silent holds a connection, never the watch
	// loop, and only until a timeout; connections past the cap wait in the
	// kernel's listen queue, costing the process nothing.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: lim.readHeader, ReadTimeout: lim.read,
		WriteTimeout: lim.write, IdleTimeout: lim.idle}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(netutil.LimitListener(l, lim.conns)); !errors.Is(err, http.ErrServerClosed) {
			m.log.Warnf("serving metrics on %s: %v", l.Addr(), err)
		}
	}()
	return l.Addr(), nil
}
