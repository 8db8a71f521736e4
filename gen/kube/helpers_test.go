package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// logLines is a Logger that keeps what it is told.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(level, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(format, args...))
}

func (l *logLines) Infof(format string, args ...any)  { l.add("info", format, args...) }
func (l *logLines) Warnf(format string, args ...any)  { l.add("warn", format, args...) }
func (l *logLines) Errorf(format string, args ...any) { l.add("error", format, args...) }

// count is how many lines contain s.
func (l *logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// waitLog waits up to d for a line containing s.
func (l *logLines) wait(t *testing.T, s string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); l.count(s) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no log line with %q after %s; the log:\n%s", s, d, l)
		}
	}
}

// controlPlane starts etcd and kube-apiserver in a namespace of their own,
// with examples/rbac.yaml applied.
func controlPlane(t *testing.T) *k8stest.Cluster {
	t.Helper()
	ns := nstest.New(t)
	ns.IP(t, "addr", "add", "10.240.0.10/32", "dev", "lo")
	c := k8stest.Start(t, ns.Name, "10.240.0.10")
	c.ApplyRBAC(t, k8stest.RepoPath(t, "examples/rbac.yaml"))
	return c
}

// running is a Source's Run with its snapshots on a channel.
type running struct {
	snaps chan Snapshot
	log   *logLines
}

// run starts a Source for token until the test ends.
func run(t *testing.T, c *k8stest.Cluster, token string) *running {
	t.Helper()
	r := &running{snaps: make(chan Snapshot, 100), log: &logLines{}}
	s, err := New(c.RESTConfig(token), Options{Log: r.log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, func(snap Snapshot) { r.snaps <- snap })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("the source's log:\n%s", r.log)
		}
	})
	return r
}

// next waits up to d for the next snapshot.
func (r *running) next(t *testing.T, d time.Duration) Snapshot {
	t.Helper()
	select {
	case s := <-r.snaps:
		return s
	case <-time.After(d):
		t.Fatalf("no snapshot in %s", d)
	}
	panic("unreachable")
}

// quiet fails if a snapshot arrives within d.
func (r *running) quiet(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case s := <-r.snaps:
		t.Fatalf("%s: a snapshot arrived: %s", why, hosts(s))
	case <-time.After(d):
	}
}

// until takes snapshots until one makes hosts(s) == want, and returns how
// long that took from start; it fails after 5 s.
func (r *running) until(t *testing.T, start time.Time, want string) time.Duration {
	t.Helper()
	for {
		left := time.Until(start.Add(5 * time.Second))
		if left <= 0 {
			t.Fatalf("no snapshot with\n%swithin 5 s", want)
		}
		if s := r.next(t, left); hosts(s) == want {
			return time.Since(start)
		}
	}
}

// hosts prints a snapshot's hosts, one a line: name, addresses, subnets.
func hosts(s Snapshot) string {
	var b strings.Builder
	for _, h := range s.Inventory.Hosts {
		fmt.Fprintf(&b, "%s %v %v\n", h.Name, h.Addrs, h.Subnets)
	}
	return b.String()
}
