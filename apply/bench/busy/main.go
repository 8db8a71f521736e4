// Command busy measures podroutes on a busy node, for `make bench`: 5000 of
// its routes beside a table of another owner's (0, 20000 and 200000 routes,
// `proto bird`), the no-op apply, check and remove against `ip route show
// proto 157`; then a running `podroutes watch`: its CPU for 100 pod-like
// veth cycles (create, enslave to a bridge, delete, as a bridge CNI does
// per pod) and for 1000 unrelated route changes, and how soon it has all
// routes back after a link flap and one route back after a deletion (from
// its own STATUS= notifications). It prints a Markdown table.
//
// Usage: go run ./apply/bench/busy BIN  (as root)
//
// Everything lives in network namespaces named prbusy-<pid>-*, deleted on
// exit; the root namespace is never touched.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/procfs"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/notifytest"
	"github.com/podroutes/podroutes/internal/route"
)

const own = 5000

var (
	bin    string
	runs   = envInt("RUNS", 5)
	sizes  = []int{0, 20000, 200000}
	prefix = fmt.Sprintf("prbusy-%d-", os.Getpid())
	// made are the namespaces and watchers to end on exit, also when
	// interrupted.
	mu       sync.Mutex
	made     []string
	watchers []*exec.Cmd
	work     string
)

func main() {
	if len(os.Args) != 2 || os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "usage (as root): busy BIN")
		os.Exit(2)
	}
	bin, _ = filepath.Abs(os.Args[1])
	var err error
	if work, err = os.MkdirTemp("", "podroutes-busy-"); err != nil {
		fail(err)
	}
	defer cleanup()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() { fail(fmt.Errorf("stopped by %v", <-sigs)) }()
	cfg := writeConfig()
	fmt.Printf("\n## A busy node\n\n`make bench` (apply/bench/busy), %s: %d podroutes routes (one gateway each) "+
		"beside a table of another owner's `proto bird` routes, each size in a fresh namespace; median of %d runs. "+
		"Whole processes, start to exit. Watch: CPU of the `podroutes watch` process (schedstat, all threads) "+
		"from the first change until 1 s after the last; heal times from its STATUS= notifications; RSS its peak (VmHWM).\n\n",
		time.Now().UTC().Format("2006-01-02"), own, runs)
	fmt.Println("| other owner's routes | `ip route show proto 157` | no-op apply (/ ip) | check | remove | apply | watch CPU: 100 pod cycles | watch CPU: 1000 unrelated route changes | heal: link flap, all back | heal: one deleted route back | watch RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range sizes {
		row(n, cfg)
	}
}

func row(foreign int, cfg string) {
	defer goneSince(len(made)) // the row's namespaces: host, peers, pods' peer
	h := fresh(foreign)
	in := []string{"nsenter", "--net=/run/netns/" + h}
	var ip, noop, check, remove, add []time.Duration
	run(in, bin, "apply", "--config", cfg)
	for range runs {
		ip = append(ip, timed(nil, "ip", "-n", h, "route", "show", "proto", "157"))
		noop = append(noop, timed(in, bin, "apply", "--config", cfg))
		check = append(check, timed(in, bin, "check", "--config", cfg))
		remove = append(remove, timed(in, bin, "remove", "--config", cfg))
		add = append(add, timed(in, bin, "apply", "--config", cfg))
	}
	w := startWatch(h, in, cfg)
	pods := w.cpu(func() { podCycles(h, 100) })
	churn := w.cpu(func() { routeChurn(h, 1000) })
	var flap, one []time.Duration
	for range runs {
		// Down is not timed: the kernel itself takes seconds to delete
		// 200000 routes through the link. From up on, it is podroutes'.
		ip2(h, "link", "set", "eth0", "down")
		w.wait(fmt.Sprintf("0 of %d routes in place", own))
		flap = append(flap, w.heal(func() { ip2(h, "link", "set", "eth0", "up") }))
		// A lone deletion, not one in the wake of the flap: the watcher
		// still reads the 10,000 events its own writes sent back.
		time.Sleep(time.Second)
		one = append(one, w.heal(func() { ip2(h, "route", "del", "10.100.7.0/24") }))
	}
	rss := w.stop()
	m := median(ip)
	fmt.Printf("| %d | %s | %s (%.1f) | %s | %s | %s | %s | %s | %s | %s | %.1f MB |\n", foreign, ms(m), ms(median(noop)),
		float64(median(noop))/float64(m), ms(median(check)), ms(median(remove)), ms(median(add)),
		ms(pods), ms(churn), ms(median(flap)), ms(median(one)), float64(rss)/1024)
}

// fresh makes namespace h (eth0 10.240.0.1/16, a veth to a peer, a bridge
// cni0 for pods) holding foreign routes of proto bird, and returns its name.
func fresh(foreign int) string {
	h, p := newNS(), newNS()
	ip2(h, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", p)
	ip2(h, "addr", "add", "10.240.0.1/16", "dev", "eth0")
	ip2(h, "link", "set", "eth0", "up")
	ip2(p, "link", "set", "eth0", "up")
	ip2(h, "link", "add", "cni0", "type", "bridge")
	ip2(h, "link", "set", "cni0", "up")
	var b bytes.Buffer
	for i := range foreign {
		fmt.Fprintf(&b, "route add 11.%d.%d.%d/32 via 10.240.0.2 proto bird\n", i>>16, i>>8&255, i&255)
	}
	batch(h, b.Bytes())
	return h
}

// podCycles creates, enslaves and deletes n veth pairs, as a bridge CNI
// does for each pod (the peer goes into another namespace).
func podCycles(h string, n int) {
	peer := newNS()
	for i := range n {
		v := fmt.Sprintf("veth%d", i)
		ip2(h, "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", peer)
		ip2(h, "link", "set", v, "master", "cni0", "up")
		ip2(h, "link", "del", v)
	}
	gone(peer)
}

// routeChurn makes n changes to another owner's routes elsewhere: n/2
// added, then deleted.
func routeChurn(h string, n int) {
	var add, del bytes.Buffer
	for i := range n / 2 {
		fmt.Fprintf(&add, "route add 12.0.%d.%d/32 via 10.240.0.2 proto bird\n", i>>8, i&255)
		fmt.Fprintf(&del, "route del 12.0.%d.%d/32 via 10.240.0.2 proto bird\n", i>>8, i&255)
	}
	batch(h, add.Bytes())
	batch(h, del.Bytes())
}

// watcher is a running `podroutes watch` and its STATUS= notifications.
type watcher struct {
	cmd    *exec.Cmd
	status chan string
}

func startWatch(h string, in []string, cfg string) *watcher {
	sock := filepath.Join(work, h+".sock")
	w := &watcher{status: make(chan string, 1<<16)}
	if _, err := notifytest.Serve(sock, func(s string) { w.status <- s }); err != nil {
		fail(err)
	}
	w.cmd = exec.Command(in[0], append(in[1:], bin, "watch", "--config", cfg)...)
	w.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "PODROUTES_LOCK="+filepath.Join(work, h+".lock"))
	if err := w.cmd.Start(); err != nil {
		fail(err)
	}
	mu.Lock()
	watchers = append(watchers, w.cmd)
	mu.Unlock()
	w.wait("READY=1")
	return w
}

// wait returns when a notification contains want.
func (w *watcher) wait(want string) {
	timeout := time.After(60 * time.Second)
	for {
		select {
		case s := <-w.status:
			if strings.Contains(s, want) {
				return
			}
		case <-timeout:
			fail(fmt.Errorf("watch sent no %q in 60 s", want))
		}
	}
}

// cpu runs f and returns the CPU watch spent from then until 1 s after.
func (w *watcher) cpu(f func()) time.Duration {
	before := schedstat(w.cmd.Process.Pid)
	f()
	time.Sleep(time.Second)
	return schedstat(w.cmd.Process.Pid) - before
}

// heal runs f, which breaks routes or lets them be mended, and returns the
// time from f until watch says all are in place again.
func (w *watcher) heal(f func()) time.Duration {
	for len(w.status) > 0 {
		<-w.status
	}
	start := time.Now()
	f()
	w.wait(fmt.Sprintf("%d of %d routes in place", own, own))
	return time.Since(start)
}

// stop ends watch and returns its peak RSS in KB.
func (w *watcher) stop() int64 {
	// Its own peak (VmHWM), read while it runs. Not the rusage of its
	// exit: Go starts a child with vfork, and the kernel counts into the
	// child's ru_maxrss the memory it had before exec, this harness's,
	// which after building 200000 routes' batch was most of what the
	// 200000 row showed.
	peak := vmHWM(w.cmd.Process.Pid)
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
	return peak
}

// vmHWM is pid's peak resident set in kB, 0 if unknown.
func vmHWM(pid int) int64 {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0
	}
	st, err := p.NewStatus()
	if err != nil {
		return 0
	}
	return int64(st.VmHWM / 1024)
}

// schedstat is the CPU time all of pid's threads have run.
func schedstat(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			ns += v
		}
	}
	return time.Duration(ns)
}

// writeConfig writes the routes.yaml of own routes, each via its own
// gateway on 10.240.0.0/16.
func writeConfig() string {
	c := config.Config{Node: "host", Metric: route.DefaultMetric}
	for i := 1; i <= own; i++ {
		a := i + 1
		c.Routes = append(c.Routes, config.Route{
			Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + i/256), byte(i % 256), 0}), 24),
			Gateway:     netip.AddrFrom4([4]byte{10, 240, byte(a / 256), byte(a % 256)}),
			Peer:        fmt.Sprintf("node-%d", i),
		})
	}
	path := filepath.Join(work, "routes.yaml")
	f, err := os.Create(path)
	if err == nil {
		err = errors.Join(config.Write(f, c, "busy"), f.Close())
	}
	if err != nil {
		fail(err)
	}
	return path
}

func timed(in []string, name string, args ...string) time.Duration {
	start := time.Now()
	run(in, name, args...)
	return time.Since(start)
}

func run(in []string, name string, args ...string) {
	argv := append(append(slices.Clone(in), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PODROUTES_LOCK="+filepath.Join(work, "lock"))
	if out, err := cmd.CombinedOutput(); err != nil {
		fail(fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, tail(out)))
	}
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

func ip2(ns string, args ...string) { run(nil, "ip", append([]string{"-n", ns}, args...)...) }

func batch(ns string, cmds []byte) {
	if len(cmds) == 0 {
		return
	}
	cmd := exec.Command("ip", "-n", ns, "-batch", "-")
	cmd.Stdin = bytes.NewReader(cmds)
	if out, err := cmd.CombinedOutput(); err != nil {
		fail(fmt.Errorf("ip -batch in %s: %v\n%s", ns, err, tail(out)))
	}
}

var seq int

func newNS() string {
	seq++
	name := prefix + strconv.Itoa(seq)
	mu.Lock()
	made = append(made, name)
	mu.Unlock()
	run(nil, "ip", "netns", "add", name)
	ip2(name, "link", "set", "lo", "up")
	return name
}

func gone(ns string) {
	_ = exec.Command("ip", "netns", "del", ns).Run()
}

// goneSince deletes the namespaces made since the first n, so that a row
// leaves none to the next.
func goneSince(n int) {
	mu.Lock()
	defer mu.Unlock()
	for _, ns := range made[n:] {
		gone(ns)
	}
	made = made[:n]
}

func cleanup() {
	mu.Lock()
	defer mu.Unlock()
	for _, w := range watchers {
		if w.ProcessState == nil {
			_ = w.Process.Kill()
		}
	}
	for _, ns := range made {
		gone(ns)
	}
	made, watchers = nil, nil
	os.RemoveAll(work)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "busy:", err)
	cleanup()
	os.Exit(1)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
