package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/notifytest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// TestWatch runs `podroutes watch` in a namespace: READY=1 after the first
// apply; a deleted route comes back; SIGHUP applies a changed config and
// keeps the old one when the new one is bad; SIGTERM exits 0 and leaves
// the routes. Each restore is timed.
func TestWatch(t *testing.T) {
	ns, cfg, in := node0(t)
	sd := notifytest.Listen(t)
	w := startBin(t, []string{"NOTIFY_SOCKET=" + sd.Path}, in, "watch", "--config", cfg)
	sd.Wait(t, "READY=1\nSTATUS=restored 10.200.1.0/24, 10.200.2.0/24 after start; 2 of 2 routes in place")

	ns.IP(t, "route", "del", "10.200.1.0/24")
	start := time.Now()
	timed(t, "route deleted", waitRoute(t, ns, start, "10.200.1.0/24", "via 10.240.0.21"))
	sd.Wait(t, "STATUS=restored 10.200.1.0/24 after route 10.200.1.0/24 via 10.240.0.21 deleted")

	config := strings.Replace(readFile(t, cfg), "10.240.0.22", "10.240.0.23", 1)
	writeFile(t, cfg, config)
	start = time.Now()
	w.signal(t, syscall.SIGHUP)
	timed(t, "gateway changed, SIGHUP", waitRoute(t, ns, start, "10.200.2.0/24", "via 10.240.0.23"))
	sd.Wait(t, "STATUS=restored 10.200.2.0/24 after config reload")

	writeFile(t, cfg, "node: node-0\nroutes:\n  - destination: 10.200.9.0/24\n    gatway: 10.240.0.29\n")
	w.signal(t, syscall.SIGHUP)
	sd.Wait(t, "STATUS=config reload failed, old config kept: "+cfg+":3: route has no gateway")
	before := ns.IP(t, "route", "show", "proto", "157")

	w.signal(t, syscall.SIGTERM)
	if code, out := w.wait(t); code != 0 {
		t.Errorf("watch exited %d after SIGTERM, want 0:\n%s", code, out)
	}
	if after := ns.IP(t, "route", "show", "proto", "157"); after != before || !strings.Contains(after, "via 10.240.0.23") {
		t.Errorf("after SIGTERM the routes are:\n%s\nwant:\n%s", after, before)
	}
}

// TestWatchBadConfig: a bad config at start is exit 2, before READY=1.
func TestWatchBadConfig(t *testing.T) {
	_, _, in := node0(t)
	bad := writeConfig(t, "node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n")
	expect(t, "watch", runBin(t, nil, in, "watch", "--config", bad), 2, bad+":3: route has no gateway")
}

// waitRoute waits until `ip route show DST` contains want, and returns how
// long that took since start; it fails the test after 2 s.
func waitRoute(t *testing.T, ns *nstest.NS, start time.Time, dst, want string) time.Duration {
	t.Helper()
	for {
		got := ns.IP(t, "route", "show", dst)
		if strings.Contains(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("after %s the route to %s is %q, want %q", time.Since(start), dst, got, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// timed logs how long a restore took and fails the test above one second.
func timed(t *testing.T, what string, d time.Duration) {
	t.Helper()
	t.Logf("%s: restored in %s", what, d.Round(100*time.Microsecond))
	if d > time.Second {
		t.Errorf("%s: restored in %s, want under 1s", what, d)
	}
}

// process is a running podroutes.
type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startBin starts the binary like runBin, killed when the test ends.
func startBin(t *testing.T, env, prefix []string, args ...string) *process {
	t.Helper()
	argv := append(append(append([]string{}, prefix...), podroutesBin), args...)
	p := &process{cmd: exec.Command(argv[0], argv[1:]...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", argv, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("podroutes %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait returns the exit code and output, failing the test after 5 s.
func (p *process) wait(t *testing.T) (int, string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("podroutes still running after 5s:\n%s", p.out.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), p.out.String()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0, p.out.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
