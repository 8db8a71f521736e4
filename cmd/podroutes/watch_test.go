package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/notifytest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// TestWatch runs `podroutes watch` in a namespace: READY=1 after the first
// apply; a deleted route comes back; SIGHUP applies a changed config and
// keeps the old one when the new one is bad; SIGTERM exits 0 and leaves
// the routes. Each restore is timed.
func TestWatch(t *testing.T) {
	ns, cfg, in := node0(t)
	w, sd, ready := startWatch(t, in, "--config", cfg)
	if want := "READY=1\nSTATUS=restored 10.200.1.0/24, 10.200.2.0/24 after start; 2 of 2 routes in place"; !strings.HasPrefix(ready, want) {
		t.Errorf("first notification %q, want %q", ready, want)
	}

	ns.IP(t, "route", "del", "10.200.1.0/24")
	start := time.Now()
	nstest.Timed(t, "route deleted", waitRoute(t, ns, start, "10.200.1.0/24", "via 10.240.0.21"))
	sd.Wait(t, "STATUS=restored 10.200.1.0/24 after route 10.200.1.0/24 via 10.240.0.21 deleted")

	config := strings.Replace(string(filetest.Read(t, cfg)), "10.240.0.22", "10.240.0.23", 1)
	filetest.Write(t, cfg, config, 0o644)
	start = time.Now()
	w.signal(t, syscall.SIGHUP)
	nstest.Timed(t, "gateway changed, SIGHUP", waitRoute(t, ns, start, "10.200.2.0/24", "via 10.240.0.23"))
	sd.Wait(t, "STATUS=restored 10.200.2.0/24 after config reload")

	filetest.Write(t, cfg, "node: node-0\nroutes:\n  - destination: 10.200.9.0/24\n    gatway: 10.240.0.29\n", 0o644)
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

// startWatch starts `podroutes watch ARGS` under a notify socket of its
// own, as systemd runs podroutes-watch.service (Type=notify), and waits for
// READY=1: the routes of its first pass are in. It returns the watcher,
// the socket for the notifications after, and the READY=1 one.
func startWatch(t *testing.T, prefix []string, args ...string) (*process, *notifytest.Socket, string) {
	t.Helper()
	sd := notifytest.Listen(t)
	w := startBin(t, []string{sd.Env()}, prefix, append([]string{"watch"}, args...)...)
	return w, sd, sd.Wait(t, "READY=1")
}

// waitRoute waits until `ip route show DST` contains want, and returns how
// long that took since start; it fails the test after nstest.Patience.
func waitRoute(t *testing.T, ns *nstest.NS, start time.Time, dst, want string) time.Duration {
	t.Helper()
	for {
		got := ns.IP(t, "route", "show", dst)
		if strings.Contains(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > nstest.Patience {
			t.Fatalf("after %s the route to %s is %q, want %q", time.Since(start), dst, got, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestWatchReloadBeforeTheAddress: the inventory is rewritten with this
// host's new address before the address is on (or before watch has
// observed its event): the reload keeps the old config, says so once,
// and loads again when the address comes, without another SIGHUP.
func TestWatchReloadBeforeTheAddress(t *testing.T) {
	ns, _, in := node0(t)
	inv := filepath.Join(t.TempDir(), "machines.txt")
	const hosts = "10.240.0.21 node-1.k.local node-1 10.200.1.0/24\n10.240.0.22 node-2.k.local node-2 10.200.2.0/24\n"
	filetest.Write(t, inv, "10.240.0.10 node-0.k.local node-0 10.200.0.0/24\n"+hosts, 0o644)
	w, sd, _ := startWatch(t, in, "--inventory", inv, "--wait", "0")
	filetest.Write(t, inv, "10.240.0.11 node-0.k.local node-0 10.200.0.0/24\n"+
		strings.Replace(hosts, "10.240.0.22", "10.240.0.23", 1), 0o644)
	w.signal(t, syscall.SIGHUP)
	sd.Wait(t, "STATUS=config reload failed, old config kept until this host's addresses change: "+inv+
		": which host is this? no host has one of this host's addresses (")
	if got := ns.IP(t, "route", "show", "10.200.2.0/24"); !strings.Contains(got, "via 10.240.0.22") {
		t.Fatalf("after the failed reload the route is %q, want the old one", got)
	}
	start := time.Now()
	ns.IP(t, "addr", "add", "10.240.0.11/24", "dev", "eth0")
	nstest.Timed(t, "address added after the reload", waitRoute(t, ns, start, "10.200.2.0/24", "via 10.240.0.23"))
	sd.Wait(t, "STATUS=restored 10.200.2.0/24 after config reload")
	w.signal(t, syscall.SIGTERM)
	if code, out := w.wait(t); code != 0 || strings.Count(out, "keeping the old one") != 1 {
		t.Errorf("watch exited %d, want 0, with the failed reload logged once:\n%s", code, out)
	}
}
