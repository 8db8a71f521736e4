package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podroutes/podroutes/gen/kube"
	"github.com/podroutes/podroutes/internal/k8stest"
)

// The Kubernetes variant: the hosts follow a real kube-apiserver
// (internal/k8stest: etcd and kube-apiserver, in a namespace of the lab on
// its bridge, at apiAddr), and the soak changes the Nodes instead of an
// inventory. The expectation is computed from the Nodes the soak itself
// created, as the inventory variant's is from the file it wrote.
const apiAddr = "10.240.0.2"

// apiResume is how long after an API server restart a watcher may still
// not follow its Nodes: client-go's reflector waits out a backoff before
// it lists again after the cut watch, which the heartbeat ends when the
// API server answers it (gen/kube: every second while the reflector
// waits; a restarted API server refuses for a second or two until its
// authorizer is ready, and a refusal is asked again 1 s doubling to
// ProbeEvery apart). Before that heartbeat the backoff alone, reset only
// after two minutes without one, left a Node change unseen 86 s after a
// restart; this allowance was two minutes.
const apiResume = kube.ProbeEvery

// kubeSource is what the kube variant adds to a lab.
type kubeSource struct {
	tb         *harness
	c          *k8stest.Cluster
	kubeconfig string // the podroutes user's, as an operator hands it to watch
}

// harness is the testing.TB that internal/k8stest's helpers take, for a
// command: they call only the methods below (Helper, Log, Fatal, TempDir,
// Cleanup...), so the embedded TB stays nil, and a call of any other would
// panic at once. Fatal panics with a fatal, which try turns into an error.
type harness struct {
	testing.TB
	dir      string
	out      io.Writer
	n        int
	cleanups []func()
	failed   bool
}

type fatal struct{ msg string }

func (h *harness) Helper()          {}
func (h *harness) Name() string     { return "soak" }
func (h *harness) Failed() bool     { return h.failed }
func (h *harness) Log(a ...any)     { fmt.Fprintln(h.out, "soak kube:", fmt.Sprint(a...)) }
func (h *harness) Cleanup(f func()) { h.cleanups = append(h.cleanups, f) }
func (h *harness) Logf(format string, a ...any) {
	fmt.Fprintln(h.out, "soak kube:", fmt.Sprintf(format, a...))
}
func (h *harness) Errorf(format string, a ...any) {
	h.failed = true
	h.Logf(format, a...)
}
func (h *harness) Fatal(a ...any) { h.failed = true; panic(fatal{fmt.Sprint(a...)}) }
func (h *harness) Fatalf(format string, a ...any) {
	h.failed = true
	panic(fatal{fmt.Sprintf(format, a...)})
}

// Skip is k8stest's answer when it cannot run (not root, no ip): for the
// soak, a failure.
func (h *harness) Skip(a ...any)                 { h.Fatal(a...) }
func (h *harness) Skipf(format string, a ...any) { h.Fatalf(format, a...) }

func (h *harness) TempDir() string {
	h.n++
	d := filepath.Join(h.dir, fmt.Sprintf("k8s-%d", h.n))
	if err := os.MkdirAll(d, 0o755); err != nil {
		h.Fatalf("making a directory: %v", err)
	}
	return d
}

// close runs the cleanups, last first, as testing does.
func (h *harness) close() {
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		h.cleanups[i]()
	}
	h.cleanups = nil
}

// try runs f, which calls k8stest's helpers, and returns their Fatal as an
// error.
func (h *harness) try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ft, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%s", ft.msg)
		}
	}()
	f()
	return nil
}

// startKube runs the control plane in a namespace of its own on the lab's
// bridge, grants podroutes the rights the documented RBAC gives, and
// writes its kubeconfig.
func (l *lab) startKube() error {
	ns, err := l.newNS("api")
	if err != nil {
		return err
	}
	steps := [][]string{
		{l.lan, "link", "add", "v-api", "type", "veth", "peer", "name", "eth0", "netns", ns},
		{l.lan, "link", "set", "v-api", "master", "br0", "up"},
		{ns, "addr", "add", apiAddr + "/24", "dev", "eth0"},
		{ns, "link", "set", "eth0", "up"},
	}
	for _, s := range steps {
		if err := ip(s[0], s[1:]...); err != nil {
			return err
		}
	}
	k := &kubeSource{tb: &harness{dir: l.work, out: l.o.out}}
	l.kube = k
	return k.tb.try(func() {
		k.c = k8stest.Start(k.tb, ns, apiAddr)
		k.c.ApplyRBAC(k.tb, k8stest.RepoPath(k.tb, "examples/rbac.yaml"))
		k.kubeconfig = k.c.Kubeconfig(k.tb, k.c.Tokens.Podroutes)
		for i, h := range l.hosts {
			k.c.CreateNode(k.tb, kubeNode(h.name, node{addr: h.addr, subnet: podSubnet(i)}))
		}
	})
}

func kubeNode(name string, n node) k8stest.Node {
	return k8stest.Node{Name: name, InternalIPs: []netip.Addr{netip.MustParseAddr(n.addr)},
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix(n.subnet)}}
}

// publishNodes makes the API server's Nodes what churn changed: the
// joiner named created, deleted or re-addressed.
func (l *lab) publishNodes(c change) error {
	k := l.kube
	return k.tb.try(func() {
		switch c.op {
		case joins:
			k.c.CreateNode(k.tb, kubeNode(c.name, l.joiners[c.name]))
		case leaves:
			k.c.DeleteNode(k.tb, c.name)
		case readdressed:
			k.c.SetNodeAddresses(k.tb, c.name, netip.MustParseAddr(l.joiners[c.name].addr))
		}
	})
}

// nodes changes the cluster's Nodes as kubelets joining and leaving would,
// and an InternalIP changed.
func nodes(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	c := l.churn(r)
	return "nodes: " + c.what, l.publishNodes(c)
}

// apiserver kills the API server with SIGKILL (by its PID, through the
// process handle k8stest holds), leaves it down a while, and starts it
// again on the same etcd data, as systemd's Restart= would.
func apiserver(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	k := l.kube
	down := time.Duration(r.IntN(3000)) * time.Millisecond
	err := k.tb.try(func() {
		k.c.StopAPI(k.tb)
		time.Sleep(down)
		k.c.StartAPI(k.tb)
		l.apiUp = time.Now()
	})
	return fmt.Sprintf("apiserver: SIGKILL, down for %v, restarted", down), err
}
