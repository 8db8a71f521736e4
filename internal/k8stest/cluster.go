// Package k8stest runs a real Kubernetes control plane (etcd and
// kube-apiserver, built from their Go modules by package bins) inside a
// test's network namespace, and gives tests what they need to prove
// podroutes against it: clients, kubeconfig files, RBAC and Nodes.
//
// One control plane per namespace (etcd takes 127.0.0.1:2379 there). The
// first Start on a machine builds the binaries, which takes longer than
// go test's default 10-minute timeout on a busy 2-core machine: run
// `make k8s-bins` first, as `make test` does.
package k8stest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/podroutes/podroutes/internal/k8stest/bins"
	"github.com/podroutes/podroutes/internal/nstest"
)

// APIPort is the API server's (HTTPS) port on Cluster.Addr.
const APIPort = 6443

// stopGrace is how long a server gets after SIGTERM before SIGKILL.
const stopGrace = 10 * time.Second

// Cluster is a running control plane. Its servers belong to the test that
// started it and are stopped when that test ends.
type Cluster struct {
	Netns  string     // the network namespace both servers run in
	Addr   netip.Addr // the API server's address there, port APIPort
	Tokens Tokens     // bearer tokens of admin, podroutes and nobody

	dir       string
	bins      bins.Binaries
	dial      DialFunc
	etcd, api *proc
	ca        []byte // PEM: the API server's self-signed serving certificate and its CA
	admin     kubernetes.Interface
	etcdReady time.Duration // how long etcd took to answer /health, for the log
}

// Start runs etcd (on 127.0.0.1 of netns only) and kube-apiserver (on addr,
// port APIPort, which must already be an address in netns) inside the named
// network namespace, which the caller creates, and waits until the API
// server is ready. The binaries are built first if the cache is empty
// (about 5 minutes). When t ends, passed or failed, the servers Start began
// are stopped by PID and their directory removed. Skips unless root.
func Start(t testing.TB, netns string, addr string) *Cluster {
	t.Helper()
	nstest.RequireRoot(t)
	a, err := netip.ParseAddr(addr)
	if err != nil {
		t.Fatalf("starting a control plane: API server address: %v", err)
	}
	b, err := bins.Ensure(context.Background(), testLog{t})
	if err != nil {
		t.Fatalf("starting a control plane: %v", err)
	}
	c := &Cluster{Netns: netns, Addr: a, dir: t.TempDir(), bins: b, dial: DialIn(netns)}
	// Registered before anything starts, and after t.TempDir's removal
	// (cleanups run last first), so the servers are gone before their
	// directory is.
	t.Cleanup(func() { c.cleanup(t) })
	began := time.Now()
	if err := c.start(); err != nil {
		t.Fatalf("starting a control plane in %s: %v", netns, err)
	}
	t.Logf("control plane ready at %s in namespace %s after %s (etcd %s)", c.URL(), netns,
		time.Since(began).Round(time.Millisecond), c.etcdReady.Round(time.Millisecond))
	return c
}

// URL is the API server's base URL.
func (c *Cluster) URL() string {
	return "https://" + net.JoinHostPort(c.Addr.String(), strconv.Itoa(APIPort))
}

// Admin is a client with the admin token (group system:masters).
func (c *Cluster) Admin() kubernetes.Interface { return c.admin }

// StopAPI kills the API server with SIGKILL, as a crash or an outage
// would; etcd and its data stay.
func (c *Cluster) StopAPI(t testing.TB) {
	t.Helper()
	if c.api != nil {
		c.api.stop(0)
		c.api = nil
	}
}

// StartAPI starts the API server again on the same etcd data, serving
// certificate and tokens, and waits until it is ready.
func (c *Cluster) StartAPI(t testing.TB) {
	t.Helper()
	if c.api != nil {
		t.Fatalf("starting kube-apiserver: already running as PID %d", c.api.pid())
	}
	began := time.Now()
	if err := c.startAPI(); err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver ready again after %s", time.Since(began).Round(time.Millisecond))
}

// FreezeAPI stops the API server with SIGSTOP, as a hung process or a
// path that drops every packet: its connections stay open, and nothing
// answers on them. thaw resumes it (SIGCONT); so does the end of t, if
// thaw has not.
func (c *Cluster) FreezeAPI(t testing.TB) (thaw func()) {
	t.Helper()
	if c.api == nil {
		t.Fatal("freezing kube-apiserver: not running")
	}
	p := c.api.cmd.Process
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("freezing kube-apiserver: %v", err)
	}
	var once sync.Once
	thaw = func() { once.Do(func() { _ = p.Signal(syscall.SIGCONT) }) }
	t.Cleanup(thaw)
	return thaw
}

// RestartAPI is StopAPI then StartAPI.
func (c *Cluster) RestartAPI(t testing.TB) {
	t.Helper()
	c.StopAPI(t)
	c.StartAPI(t)
}

func (c *Cluster) start() error {
	tokens, err := newTokens()
	if err != nil {
		return err
	}
	c.Tokens = tokens
	if err := c.Tokens.writeTokenFile(c.path("tokens.csv")); err != nil {
		return err
	}
	if _, _, err := writeServiceAccountKeys(c.dir); err != nil {
		return err
	}
	if err := c.startEtcd(); err != nil {
		return err
	}
	if err := c.startAPI(); err != nil {
		return err
	}
	admin, err := kubernetes.NewForConfig(c.RESTConfig(c.Tokens.Admin))
	if err != nil {
		return fmt.Errorf("making the admin client: %w", err)
	}
	c.admin = admin
	return nil
}

func (c *Cluster) startEtcd() error {
	const client, peer = "http://127.0.0.1:2379", "http://127.0.0.1:2380"
	p, err := startIn(c.Netns, "etcd", c.path("etcd.log"), c.bins.Etcd,
		"--name=default", "--data-dir="+c.path("etcd"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=default="+peer,
		// Throwaway data: without fsync, creating 5000 Nodes is bound by
		// the API server, not the disk.
		"--unsafe-no-fsync")
	if err != nil {
		return err
	}
	c.etcd = p
	began := time.Now()
	if err := c.waitEtcd(); err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	c.etcdReady = time.Since(began)
	return nil
}

func (c *Cluster) startAPI() error {
	p, err := startIn(c.Netns, "kube-apiserver", c.path("kube-apiserver.log"), c.bins.KubeAPIServer,
		"--etcd-servers=http://127.0.0.1:2379",
		"--bind-address="+c.Addr.String(), "--advertise-address="+c.Addr.String(),
		"--secure-port="+strconv.Itoa(APIPort),
		// No --tls-cert-file: the server makes a self-signed certificate
		// for its address here, once, and reuses it after a restart.
		"--cert-dir="+c.path("certs"),
		"--token-auth-file="+c.path("tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+c.path("sa.pub"),
		"--service-account-signing-key-file="+c.path("sa.key"),
		"--service-cluster-ip-range=10.32.0.0/24")
	if err != nil {
		return err
	}
	c.api = p
	if err := c.waitAPI(); err != nil {
		return fmt.Errorf("starting kube-apiserver: %w", err)
	}
	return nil
}

// cleanup stops what Start started, by PID: the API server first, so it
// does not spend its last seconds retrying a vanished etcd.
func (c *Cluster) cleanup(t testing.TB) {
	for _, p := range []*proc{c.api, c.etcd} {
		if p == nil {
			continue
		}
		if t.Failed() {
			t.Logf("last lines of %s (PID %d):\n%s", p.log, p.pid(), logTail(p.log, 25))
		}
		p.stop(stopGrace)
	}
}

func (c *Cluster) path(name string) string { return filepath.Join(c.dir, name) }

// logTail is the end of a server's log, for a failure message.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// testLog passes the builder's progress to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
