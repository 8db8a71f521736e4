package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/podroutes/podroutes/internal/notifytest"
)

// The lab's addresses. Hosts are node-I at uplinkNet.(10+I) with pod subnet
// 10.200.I.0/24; nodes that join the inventory without a host behind them
// (joiners) take uplinkNet.100 and up and 10.201.J.0/24. The other owners'
// routes go through aux0, a veth in each host of its own, so that a flap or
// a move of the uplink, which takes the kernel's routes through it away,
// leaves them be: what is gone later was taken by someone else. In the
// segments lab, host I is on segment I%2 (segNets), at its .(10+I), a
// router at .1 of each; a host moved across takes the other's .(10+I).
const (
	uplinkNet = "10.240.0"
	// The segments lab's second network, joined to uplinkNet's by a
	// router at .1 of each.
	otherNet = "10.241.0"
	auxAddr  = "192.168.255.1/24"
	auxGW    = "192.168.255.2"
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
	// segmentsSourceName is the lab of nodes on other networks (issue
	// 24): hosts on two segments joined by a router, following a YAML
	// inventory with `defaults: {offLink: vxlan}`.
	segmentsSourceName = "segments"
)

// segNets are the segments lab's networks (/24s), segment 0 and 1; the
// other labs have segment 0 only.
var segNets = [2]string{uplinkNet, otherNet}

// segPrefix is segment s's subnet.
func segPrefix(s int) netip.Prefix { return netip.MustParsePrefix(segNets[s] + ".0/24") }

// segRouter is the router's address on segment s, every host's default
// gateway there.
func segRouter(s int) string { return segNets[s] + ".1" }

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
	// count, so that the seed still makes the schedule), so that the
	// kube lab's other faults keep most bursts.
	apiGap int
	out    io.Writer
}

// host is one lab host and what the soak has done to it.
type host struct {
	name, ns, addr string
	index          int             // its pod subnet's: podSubnet(index)
	seg            int             // the segment its eth0 is plugged into (0 outside the segments lab)
	port           string          // eth0's peer, on its segment's switch
	offLink        bool            // in the segments lab: off-segment peers go through the tunnel
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
	lans   []string // each segment's switch (lans[0] is lan)
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
	if source == segmentsSourceName {
		l.inv += ".yaml" // the format is told by the name
	}
	return l, nil
}

func (l *lab) build(ctx context.Context) error {
	var err error
	segs := 1
	if l.source == segmentsSourceName {
		segs = 2
	}
	for s := range segs {
		lan, err := l.newNS(fmt.Sprintf("lan%s", cond(s == 0, "", "-1")))
		if err != nil {
			return err
		}
		l.lans = append(l.lans, lan)
		if err := ip(lan, "link", "add", "br0", "type", "bridge"); err != nil {
			return err
		}
		if err := ip(lan, "link", "set", "br0", "up"); err != nil {
			return err
		}
	}
	l.lan = l.lans[0]
	if segs > 1 {
		if err := l.buildRouter(); err != nil {
			return err
		}
	}
	for i := range l.o.hosts {
		seg := i % segs // alternate: node-0 on segment 0, node-1 on 1...
		h := &host{name: fmt.Sprintf("node-%d", i), index: i, seg: seg, port: fmt.Sprintf("v-%d", i),
			addr: fmt.Sprintf("%s.%d", segNets[seg], 10+i), offLink: segs > 1, foreign: map[string]bool{}}
		h.lock = filepath.Join(l.work, h.name+".lock")
		h.prom = filepath.Join(l.work, h.name+".prom")
		h.log = filepath.Join(l.work, h.name+".log")
		h.notify = filepath.Join(l.work, h.name+".sock")
		if h.ns, err = l.newNS(h.name); err != nil {
			return err
		}
		v := h.port
		steps := [][]string{
			{l.lans[seg], "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", h.ns},
			{l.lans[seg], "link", "set", v, "master", "br0", "up"},
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
		if err := l.underlay(h); err != nil {
			return err
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

// buildRouter makes the router namespace between the segments' switches,
// at segRouter(s) on each, forwarding between them.
func (l *lab) buildRouter() error {
	router, err := l.newNS("router")
	if err != nil {
		return err
	}
	if err := sh("ip", "netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); err != nil {
		return err
	}
	for s, lan := range l.lans {
		seg := fmt.Sprintf("seg%d", s)
		for _, st := range [][]string{
			{lan, "link", "add", "r0", "type", "veth", "peer", "name", seg, "netns", router},
			{lan, "link", "set", "r0", "master", "br0", "up"},
			{router, "addr", "add", segRouter(s) + "/24", "dev", seg},
			{router, "link", "set", seg, "up"},
		} {
			if err := ip(st[0], st[1:]...); err != nil {
				return err
			}
		}
	}
	return nil
}

// dev is the link that holds h's address: eth0, or br-up while it is
// moved there.
func (h *host) dev() string { return cond(h.moved, "br-up", "eth0") }

// underlay gives a host of the segments lab its default route via its
// segment's router, as the host's network configuration would after its
// link or address changed (the kernel takes it away with them): the
// tunnel's packets to the other segment go that way. A no-op in the other
// labs, whose hosts share one segment.
func (l *lab) underlay(h *host) error {
	if !h.offLink {
		return nil
	}
	return ip(h.ns, "route", "replace", "default", "via", segRouter(h.seg), "dev", h.dev())
}

// podSubnet is host i's pod subnet.
func podSubnet(i int) string { return fmt.Sprintf("10.200.%d.0/24", i) }

// writeInventory writes the machines.txt of the hosts and joiners, as a
// root-owned file replaced at once (rename), as a configuration manager
// would.
func (l *lab) writeInventory() error {
	var b bytes.Buffer
	if l.source == segmentsSourceName {
		// YAML: offLink is said only there (and on the command line).
		b.WriteString("# the soak's segments inventory\ndefaults:\n  offLink: vxlan\nhosts:\n")
		for _, h := range l.hosts {
			fmt.Fprintf(&b, "  - {name: %s, fqdn: %s.soak.local, addresses: [%s], podSubnets: [%s]}\n", h.name, h.name, h.addr, podSubnet(h.index))
		}
		for _, name := range sortedKeys(l.joiners) {
			j := l.joiners[name]
			fmt.Fprintf(&b, "  - {name: %s, fqdn: %s.soak.local, addresses: [%s], podSubnets: [%s]}\n", name, name, j.addr, j.subnet)
		}
		return l.replaceInventory(b.Bytes())
	}
	b.WriteString("# the soak's inventory: IP FQDN HOSTNAME [POD_SUBNET]\n")
	for i, h := range l.hosts {
		fmt.Fprintf(&b, "%s %s.soak.local %s %s\n", h.addr, h.name, h.name, podSubnet(i))
	}
	for _, name := range sortedKeys(l.joiners) {
		j := l.joiners[name]
		fmt.Fprintf(&b, "%s %s.soak.local %s %s\n", j.addr, name, name, j.subnet)
	}
	return l.replaceInventory(b.Bytes())
}

// replaceInventory writes the inventory, root-owned, at once.
func (l *lab) replaceInventory(b []byte) error {
	tmp := l.inv + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
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
		status := make(chan string, 1024)
		if _, err := notifytest.Serve(h.notify, func(s string) {
			select {
			case status <- s:
			default: // only READY=1 is waited for; a full queue drops STATUS=
			}
		}); err != nil {
			return err
		}
		h.status = status
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
