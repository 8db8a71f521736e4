package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/logtest"
	"github.com/podroutes/podroutes/internal/nstest"
)

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
	log   *logtest.Lines
}

// run starts a Source for token until the test ends.
func run(t *testing.T, c *k8stest.Cluster, token string) *running {
	t.Helper()
	r := &running{snaps: make(chan Snapshot, 100), log: &logtest.Lines{}}
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
