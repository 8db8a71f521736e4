package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The lab's addresses. Hosts are node-I at uplinkNet.(10+I) with pod subnet
// 10.200.I.0/24; nodes that join the inventory without a host behind them
// (joiners) take uplinkNet.100 and up and 10.201.J.0/24. The other owners'
// routes go through aux0, a veth in each host of its own, so that a flap or
// a move of the uplink, which takes the kernel's routes through it away,
// leaves them be: what is gone later was taken by someone else.
const (
	uplinkNet = "10.240.0"
	auxAddr   = "192.168.255.1/24"
	auxGW     = "192.168.255.2"
	// Another owner's route at a wanted destination: static, metric 50,
	// below podroutes' 100, so that the kernel uses it (a conflict).
	foreignProto  = "4"
	foreignMetric = 50
	birdProto     = "12"
	ownProto      = "157"
	// metricsAddr is where each watcher serves its metrics, on its own
	// namespace's loopback: the Go collector's go_goroutines is read there.
	metricsAddr = "127.0.0.1:9157"
)

// The sources a lab's hosts follow.
const (
	inventorySourceName = "inventory"
	kubeSourceName      = "kube"
)

type options struct {
	bin      string
	sources  []string // inventory, kube or both: a lab each, run at once
	duration time.Duration
	seed     uint64
	hosts    int
	svg      string
	schedule string
	quiet    time.Duration
	bound    time.Duration
	// apiGap is the fewest bursts between two API server restarts (a
	// count, so that the seed still makes the schedule): restarts more
	// often than client-go's reflector resets its backoff (2 minutes, see
	// reflectorBackoffMax) would keep the watchers waiting out a backoff
	// at its cap, and every Node change would be judged against that
	// rather than o.bound.
	apiGap int
	out    io.Writer
}

// host is one lab host and what the soak has done to it.
type host struct {
	name, ns, addr string
	moved          bool            // the uplink address is on br-up, eth0 enslaved to it
	foreign        map[string]bool // destinations holding another owner's route
	bird           int             // another owner's unrelated routes in place
	lock, prom     string
	log            string
	notify         string

	cmd    *exec.Cmd
	exited chan error
	status chan string
}

type lab struct {
	o      options
	source string      // inventory or kube
	kube   *kubeSource // the kube variant's, nil in the inventory's
	prefix string
	work   string
	inv    string
	lan    string
	hosts  []*host
	// joiners: nodes in the inventory with no host behind them, by name.
	joiners  map[string]node
	nextJ    int // the next joiner's address and subnet, of those free
	nextName int

	mu         sync.Mutex
	namespaces []string
	conflicted atomic.Int64 // see result.conflicted

	// What the lab's run has done and seen, merged into the result.
	faults    []fault
	schedule  []string
	kinds     map[string]int
	nfaults   int
	converged []convergence
	// deadline, when set, is converge's instead of o.bound after the
	// burst's last fault; apiUp is when the API server last answered
	// again after an apiserver fault, backedOff how many bursts got a
	// deadline for it.
	deadline  time.Time
	apiUp     time.Time
	backedOff int
	bursts    int // so far
	apiBurst  int // the burst of the last apiserver fault, 0 for none
}

// node is an inventory line's address and pod subnet ("" for none).
type node struct{ addr, subnet string }

func newLab(o options, source string) (*lab, error) {
	l := &lab{o: o, source: source, prefix: fmt.Sprintf("prsoak-%d-%c-", os.Getpid(), source[0]), joiners: map[string]node{},
		faults: faultsOf(source), kinds: map[string]int{}}
	var err error
	if l.work, err = os.MkdirTemp("", "podroutes-soak-"); err != nil {
		return nil, err
	}
	l.inv = filepath.Join(l.work, "inventory")
	return l, nil
}

func (l *lab) build(ctx context.Context) error {
	var err error
	if l.lan, err = l.newNS("lan"); err != nil {
		return err
	}
	if err := ip(l.lan, "link", "add", "br0", "type", "bridge"); err != nil {
		return err
	}
	if err := ip(l.lan, "link", "set", "br0", "up"); err != nil {
		return err
	}
	for i := range l.o.hosts {
		h := &host{name: fmt.Sprintf("node-%d", i), addr: fmt.Sprintf("%s.%d", uplinkNet, 10+i), foreign: map[string]bool{}}
		h.lock = filepath.Join(l.work, h.name+".lock")
		h.prom = filepath.Join(l.work, h.name+".prom")
		h.log = filepath.Join(l.work, h.name+".log")
		h.notify = filepath.Join(l.work, h.name+".sock")
		if h.ns, err = l.newNS(h.name); err != nil {
			return err
		}
		v := fmt.Sprintf("v-%d", i)
		steps := [][]string{
			{l.lan, "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", h.ns},
			{l.lan, "link", "set", v, "master", "br0", "up"},
			{h.ns, "addr", "add", h.addr + "/24", "dev", "eth0"},
			{h.ns, "link", "set", "eth0", "up"},
			{h.ns, "link", "add", "aux0", "type", "veth", "peer", "name", "aux1"},
			{h.ns, "link", "set", "aux1", "up"},
			{h.ns, "addr", "add", auxAddr, "dev", "aux0"},
			{h.ns, "link", "set", "aux0", "up"},
			{h.ns, "link", "add", "cni0", "type", "bridge"},
			{h.ns, "link", "set", "cni0", "up"},
		}
		for _, s := range steps {
			if err := ip(s[0], s[1:]...); err != nil {
				return err
			}
		}
		l.hosts = append(l.hosts, h)
	}
	if l.source == kubeSourceName {
		if err := l.startKube(); err != nil {
			return fmt.Errorf("starting the control plane: %w", err)
		}
	} else if err := l.writeInventory(); err != nil {
		return err
	}
	for _, h := range l.hosts {
		if err := l.startWatch(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// podSubnet is host i's pod subnet.
func podSubnet(i int) string { return fmt.Sprintf("10.200.%d.0/24", i) }

// writeInventory writes the machines.txt of the hosts and joiners, as a
// root-owned file replaced at once (rename), as a configuration manager
// would.
func (l *lab) writeInventory() error {
	var b bytes.Buffer
	b.WriteString("# the soak's inventory: IP FQDN HOSTNAME [POD_SUBNET]\n")
	for i, h := range l.hosts {
		fmt.Fprintf(&b, "%s %s.soak.local %s %s\n", h.addr, h.name, h.name, podSubnet(i))
	}
	for _, name := range sortedKeys(l.joiners) {
		j := l.joiners[name]
		fmt.Fprintf(&b, "%s %s.soak.local %s %s\n", j.addr, name, name, j.subnet)
	}
	tmp := l.inv + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Chown(tmp, 0, 0); err != nil {
		return err
	}
	return os.Rename(tmp, l.inv)
}

// startWatch starts h's watcher and waits for its READY=1, so that a SIGHUP
// never reaches it before it handles one (systemd reloads a Type=notify
// unit only once it is ready, too).
func (l *lab) startWatch(ctx context.Context, h *host) error {
	if h.status == nil {
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: h.notify, Net: "unixgram"})
		if err != nil {
			return err
		}
		h.status = make(chan string, 1024)
		go func() {
			buf := make([]byte, 1<<16)
			for {
				n, err := conn.Read(buf)
				if err != nil {
					return
				}
				select {
				case h.status <- string(buf[:n]):
				default: // only READY=1 is waited for; a full queue drops STATUS=
				}
			}
		}()
	}
	for len(h.status) > 0 {
		<-h.status
	}
	logf, err := os.OpenFile(h.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- soak: started at %s\n", time.Now().UTC().Format(time.RFC3339Nano))
	// ip netns exec execs the command itself: the child is the watcher,
	// so its PID is the one to sample and signal.
	args := append([]string{"netns", "exec", h.ns, l.o.bin, "watch"}, l.sourceArgs()...)
	cmd := exec.Command("ip", append(args, "--lock", h.lock, "--metrics-file", h.prom, "--metrics-address", metricsAddr)...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+h.notify)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	l.mu.Lock()
	h.cmd = cmd // the sampler reads it
	l.mu.Unlock()
	h.exited = make(chan error, 1)
	go func() { h.exited <- cmd.Wait() }()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case s := <-h.status:
			if strings.Contains(s, "READY=1") {
				return nil
			}
		case err := <-h.exited:
			h.exited <- err
			return fmt.Errorf("%s: watch exited before READY=1: %v", h.name, err)
		case <-timeout.C:
			return fmt.Errorf("%s: watch sent no READY=1 in 30 s", h.name)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sourceArgs are the flags that name the lab's source to podroutes.
func (l *lab) sourceArgs() []string {
	if l.kube != nil {
		return []string{"--kubeconfig", l.kube.kubeconfig}
	}
	return []string{"--inventory", l.inv}
}

// kill ends h's watcher with SIGKILL and waits for it.
func (h *host) kill() error {
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	h.exited <- <-h.exited // gone, as alive says until a restart
	return nil
}

// alive says why h's watcher is gone, nil if it runs.
func (h *host) alive() error {
	select {
	case err := <-h.exited:
		h.exited <- err
		return fmt.Errorf("watch exited: %v", err)
	default:
		return nil
	}
}

func (l *lab) newNS(name string) (string, error) {
	ns := l.prefix + name
	l.mu.Lock()
	l.namespaces = append(l.namespaces, ns) // first: a signal may come as soon as it exists
	l.mu.Unlock()
	if err := sh("ip", "netns", "add", ns); err != nil {
		return "", err
	}
	return ns, ip(ns, "link", "set", "lo", "up")
}

// cleanup kills every watcher and deletes every namespace and file the lab
// made.
func (l *lab) cleanup() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.hosts {
		if h.exited == nil {
			continue
		}
		_ = h.cmd.Process.Signal(syscall.SIGKILL) // fails if it is gone already
		select {
		case err := <-h.exited:
			h.exited <- err
		case <-time.After(5 * time.Second):
		}
	}
	if l.kube != nil {
		l.kube.tb.close() // the control plane, by PID
	}
	for _, ns := range l.namespaces {
		_ = exec.Command("ip", "netns", "del", ns).Run()
	}
	l.namespaces = nil
	os.RemoveAll(l.work)
}

func sh(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(tail(out)))
	}
	return nil
}

func ip(ns string, args ...string) error { return sh("ip", append([]string{"-n", ns}, args...)...) }

// batch runs ip -batch in ns; -force goes on past a failed line (a route
// already gone), reported by the exit status it ignores.
func batch(ns string, cmds []byte) error {
	if len(cmds) == 0 {
		return nil
	}
	cmd := exec.Command("ip", "-n", ns, "-batch", "-")
	cmd.Stdin = bytes.NewReader(cmds)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %s -batch: %v: %s", ns, err, tail(out))
	}
	return nil
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

var errDiverged = errors.New("diverged")
