package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/lock"
)

// TestApplyWaitsForTheLock: apply and remove wait for the lock, say for
// whom, and give up after --lock-wait; check takes no lock.
func TestApplyWaitsForTheLock(t *testing.T) {
	_, cfg, in := node0(t)
	path, release, waiting := holdLock(t)
	for _, cmd := range []string{"apply", "remove"} {
		r := runBin(t, nil, in, cmd, "--config", cfg, "--lock", path, "--lock-wait", "200ms")
		expect(t, cmd+" while locked", r, 1, waiting, ") holding "+path, "is held by pid", "after waiting 200ms: timed out waiting for the lock")
		if strings.Contains(r.stderr, "routes in place") {
			t.Errorf("%s while locked: a status line for a pass that never ran:\n%s", cmd, r.stderr)
		}
	}
	expect(t, "check while locked", runBin(t, nil, in, "check", "--config", cfg), 1, "missing  10.200.1.0/24")
	start := time.Now() // before the release is timed: d can only be longer
	time.AfterFunc(300*time.Millisecond, release)
	expect(t, "apply after the release", runBin(t, nil, in, "apply", "--config", cfg, "--lock", path), 0, waiting, "2 added")
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("apply finished after %s, before the lock was released", d)
	}
}

// holdLock takes a lock in a temporary directory, as another podroutes
// would. release frees it (again is a no-op; the test's end calls it), and
// waiting begins the message of a podroutes that waits for it.
func holdLock(t *testing.T) (path string, release func(), waiting string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "lock")
	l, err := lock.Acquire(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { l.Release() }) }
	t.Cleanup(release)
	return path, release, fmt.Sprintf("waiting for pid %d (", os.Getpid())
}

// TestApplySomeFail: a gateway no link reaches fails its route, named;
// the others go in; check reports exactly that.
func TestApplySomeFail(t *testing.T) {
	_, _, in := node0(t)
	cfg := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21 peer node-1",
		"10.200.2.0/24 via 10.241.0.22 peer node-2", "10.200.3.0/24 via 10.240.0.23 peer node-3")
	expect(t, "apply", runBin(t, nil, in, "apply", "--config", cfg, "--wait", "0"), 1,
		"added 10.200.1.0/24", "added 10.200.3.0/24", "gateway 10.241.0.22 unreachable (no up link has an address on their subnet)",
		"adding route 10.200.2.0/24 via 10.241.0.22 (node-2): network is unreachable",
		"2 routes in place: 2 added")
	r := runBin(t, nil, in, "check", "--config", cfg)
	want := "in place  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1\n" +
		"missing  10.200.2.0/24 via 10.241.0.22 proto podroutes metric 100  # node-2, gateway unreachable: no up link has an address on 10.241.0.22's subnet\n" +
		"in place  10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100  # node-3\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("check: exit %d, stdout:\n%s\nwant 1 and:\n%s", r.code, r.stdout, want)
	}
}

// TestApplyInterruptedWhileLocked: SIGTERM while apply waits for the
// lock ends it at once, exit 1, naming what it waited for; nothing written.
// (An apply stopped between its writes is TestInterruptedApplyExplained,
// in package apply: deterministic there, where a signal's timing is not.)
func TestApplyInterruptedWhileLocked(t *testing.T) {
	ns, cfg, in := node0(t)
	path, _, waiting := holdLock(t)
	p := startBin(t, nil, in, "apply", "--config", cfg, "--lock", path, "--lock-wait", "1m")
	p.waitOutput(t, waiting)
	p.signal(t, syscall.SIGTERM)
	code, out := p.wait(t)
	if code != 1 || !strings.Contains(out, "taking the lock: waiting for "+path+": context canceled") {
		t.Errorf("exit %d:\n%s\nwant 1 and the lock named", code, out)
	}
	if n := count(t, ns); n != 0 {
		t.Errorf("%d routes written by an apply that never got the lock", n)
	}
}

// count is how many routes podroutes has in ns's main table.
func count(t *testing.T, ns interface {
	IP(testing.TB, ...string) string
}) int {
	t.Helper()
	return strings.Count(ns.IP(t, "route", "show", "proto", "157"), "\n")
}

// TestApplyWaitLeavesTheLock: while apply waits for an unreachable
// gateway, the reachable routes are in and the lock is free: remove runs
// at once. SIGTERM then ends the wait, saying what was in place.
func TestApplyWaitLeavesTheLock(t *testing.T) {
	ns, _, in := node0(t)
	cfg := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21", "10.200.2.0/24 via 10.241.0.22")
	p := startBin(t, nil, in, "apply", "--config", cfg, "--wait", "1m")
	waitRoute(t, ns, time.Now(), "10.200.1.0/24", "via 10.240.0.21")
	// With the lock held, remove would wait its --lock-wait out and fail.
	expect(t, "remove while apply waits", runBin(t, nil, in, "remove", "--config", cfg, "--lock-wait", "1s"), 0, "deleted 10.200.1.0/24")
	p.signal(t, syscall.SIGTERM)
	code, out := p.wait(t)
	if code != 1 || !strings.Contains(out, "stopped while waiting for gateway 10.241.0.22; 1 route in place: 1 added") ||
		strings.Contains(out, "context canceled") {
		t.Errorf("apply after SIGTERM: exit %d:\n%s\nwant 1, what was in place, no 'context canceled'", code, out)
	}
}

// TestSecondWatcherRefused: two watchers whose configs differ would undo
// each other's routes forever; the second refuses to start, naming the
// first.
func TestSecondWatcherRefused(t *testing.T) {
	_, cfg, in := node0(t)
	first, _, _ := startWatch(t, in, "--config", cfg)
	other := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.29")
	expect(t, "second watch", runBin(t, nil, in, "watch", "--config", other), 1,
		fmt.Sprintf("another podroutes watch is running (pid %d (podroutes))", first.cmd.Process.Pid),
		"two watchers would undo each other's routes")
	first.signal(t, syscall.SIGTERM)
	if code, out := first.wait(t); code != 0 {
		t.Errorf("first watch: exit %d:\n%s", code, out)
	}
}

// TestWatchPassWaitsForTheLock: each pass of watch takes the lock apply
// and remove take: while another process holds it, watch writes nothing
// and says whom it waits for; once it is released, the routes go in.
func TestWatchPassWaitsForTheLock(t *testing.T) {
	ns, cfg, in := node0(t)
	path, release, waiting := holdLock(t)
	p := startBin(t, nil, in, "watch", "--config", cfg, "--lock", path, "--lock-wait", "1m")
	p.waitOutput(t, waiting)
	if n := count(t, ns); n != 0 {
		t.Errorf("%d routes written by a watch that has not got the lock", n)
	}
	release()
	waitRoute(t, ns, time.Now(), "10.200.1.0/24", "via 10.240.0.21")
}

// TestDeadNotifySocket: a NOTIFY_SOCKET nobody listens on is a warning;
// apply exits by its routes.
func TestDeadNotifySocket(t *testing.T) {
	_, cfg, in := node0(t)
	dead := []string{"NOTIFY_SOCKET=" + filepath.Join(t.TempDir(), "gone.sock")}
	r := runBin(t, dead, in, "apply", "--config", cfg)
	expect(t, "apply", r, 0, "2 routes in place", "warning: notifying systemd: ")
	if strings.Count(r.stderr, "notifying systemd") != 1 {
		t.Errorf("stderr:\n%s\nwant one warning", r.stderr)
	}
}

// TestOwnGatewayRefused: a gateway that is this host's own address (the
// sign of another host's routes.yaml copied here) is exit 2, naming the
// route, the address and the node the file is for; nothing goes in.
func TestOwnGatewayRefused(t *testing.T) {
	ns, _, in := node0(t)
	cfg := writeRoutes(t, "node-1", "10.200.1.0/24 via 10.240.0.21", "10.200.0.0/24 via 10.240.0.10 peer node-0")
	for _, cmd := range []string{"apply", "check"} {
		expect(t, cmd, runBin(t, nil, in, cmd, "--config", cfg), 2,
			"route 10.200.0.0/24 via 10.240.0.10 (node-0): the gateway is this host's own address (on eth0); the config is for node \"node-1\" but this host is")
	}
	if got := ns.IP(t, "route", "show", "proto", "157"); got != "" {
		t.Errorf("a refused config left routes:\n%s", got)
	}
}

// TestWithoutNetAdmin: apply, watch and remove run by a user without
// CAP_NET_ADMIN say so, in one line, and exit 1 before they read, lock
// or write anything (the config named does not even exist); a dry run
// only reads, and goes on to the config.
func TestWithoutNetAdmin(t *testing.T) {
	ns, _, _ := node0(t)
	// The binary's directory is root's, 0700: nobody must reach the binary.
	if err := os.Chmod(filepath.Dir(podroutesBin), 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := []string{"ip", "netns", "exec", ns.Name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	missing := filepath.Join(t.TempDir(), "routes.yaml")
	for _, cmd := range []string{"apply", "watch", "remove"} {
		r := runBin(t, nil, nobody, cmd, "--config", missing)
		want := "podroutes " + cmd + ": changing routes needs CAP_NET_ADMIN, which this process does not have: " +
			"run podroutes as root (sudo), or through podroutes.service\n"
		if r.code != exitFailure || r.stderr != want || r.stdout != "" {
			t.Errorf("%s as nobody: exit %d, stdout %q, stderr %q; want %d and %q", cmd, r.code, r.stdout, r.stderr, exitFailure, want)
		}
	}
	expect(t, "apply --dry-run as nobody", runBin(t, nil, nobody, "apply", "--dry-run", "--config", missing), exitInput, "reading config: ")
}
