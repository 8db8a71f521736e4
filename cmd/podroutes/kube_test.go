//go:build !nokube

package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/notifytest"
	"github.com/podroutes/podroutes/internal/nstest"
)

// kubeLab is the lab of Kubernetes the Hard Way on one bridge: the server
// (10.240.0.10, running etcd and kube-apiserver, not a Node) and three
// nodes (node-I at 10.240.0.2I), each a network namespace running
// `podroutes watch --kubeconfig`.
type kubeLab struct {
	t     *testing.T // the test the lab, and its watchers, live as long as
	c     *k8stest.Cluster
	hosts map[string]*labHost
	// kubeconfig is the podroutes user's, with examples/rbac.yaml's rights.
	kubeconfig string
	// routed is what the test expects every host to route: each Node's
	// subnet and the gateway (its InternalIP) it is routed via.
	routed map[string]routeTo
}

type labHost struct {
	name string
	ns   *nstest.NS
	in   []string // ip netns exec NS
	lock string   // the --lock of its podroutes, a directory of its own
	prom string   // its watcher's --metrics-file
	w    *process // its running watcher, if any
}

type routeTo struct{ dst, gw string }

func newKubeLab(t *testing.T) *kubeLab {
	t.Helper()
	sw := nstest.Switch(t)
	l := &kubeLab{t: t, hosts: map[string]*labHost{}, routed: map[string]routeTo{}}
	for name, addr := range map[string]string{"server": "10.240.0.10", "node-0": "10.240.0.20", "node-1": "10.240.0.21", "node-2": "10.240.0.22"} {
		ns := nstest.New(t)
		nstest.Plug(t, sw, ns, "eth0")
		ns.IP(t, "addr", "add", addr+"/24", "dev", "eth0")
		dir := t.TempDir()
		l.hosts[name] = &labHost{name: name, ns: ns, in: []string{"ip", "netns", "exec", ns.Name},
			lock: filepath.Join(dir, "lock"), prom: filepath.Join(dir, "podroutes.prom")}
	}
	l.c = k8stest.Start(t, l.hosts["server"].ns.Name, "10.240.0.10")
	l.kubeconfig = l.c.PodroutesKubeconfig(t)
	return l
}

// oneHostLab is a kubeLab whose one host is node1 (node-1, with its own
// --lock), beside the API server k8stest starts in server at serverAddr,
// with the Nodes node-0, node-1 and node-2 at nodes' InternalIP and
// podCIDR. The test says what it expects routed.
func oneHostLab(t *testing.T, server *nstest.NS, serverAddr string, node1 *nstest.NS, nodes [3][2]string) *kubeLab {
	t.Helper()
	l := &kubeLab{t: t, c: k8stest.Start(t, server.Name, serverAddr), routed: map[string]routeTo{}}
	l.kubeconfig = l.c.PodroutesKubeconfig(t)
	for i, n := range nodes {
		l.c.CreateNodeAt(t, fmt.Sprintf("node-%d", i), n[0], n[1])
	}
	l.hosts = map[string]*labHost{"node-1": {name: "node-1", ns: node1, in: []string{"ip", "netns", "exec", node1.Name},
		lock: filepath.Join(t.TempDir(), "lock")}}
	return l
}

// create creates a Node and expects it routed.
func (l *kubeLab) create(t *testing.T, name, ip, subnet string) {
	t.Helper()
	l.c.CreateNodeAt(t, name, ip, subnet)
	l.routed[name] = routeTo{subnet, ip}
}

// watch starts `podroutes watch --kubeconfig` on host, to run until the
// lab's test ends (or stop), not the subtest that starts it.
func (l *kubeLab) watch(host, kubeconfig string) *process { return l.watchWith(host, kubeconfig, nil) }

// watchWith is watch with more environment and arguments.
func (l *kubeLab) watchWith(host, kubeconfig string, env []string, args ...string) *process {
	h := l.hosts[host]
	h.w = startBin(l.t, env, h.in, append([]string{"watch", "--kubeconfig", kubeconfig, "--node", host, "--lock", h.lock, "--metrics-file", h.prom}, args...)...)
	return h.w
}

// metric waits up to 5 s for host's watcher's textfile to have line.
func (l *kubeLab) metric(t *testing.T, host, line string) {
	t.Helper()
	var data []byte
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if data, _ = os.ReadFile(l.hosts[host].prom); strings.Contains(string(data), line+"\n") {
			return
		}
	}
	t.Fatalf("%s's metrics lack %q:\n%s", host, line, data)
}

// stop stops host's watcher with SIGTERM: it exits 0.
func (l *kubeLab) stop(t *testing.T, host string) {
	t.Helper()
	h := l.hosts[host]
	h.w.signal(t, syscall.SIGTERM)
	if code, out := h.w.wait(t); code != 0 {
		t.Fatalf("watch on %s exited %d after SIGTERM:\n%s", host, code, out)
	}
	h.w = nil
}

// want is what host should route: every routed Node's subnet but its own.
func (l *kubeLab) want(host string) string {
	var lines []string
	for name, r := range l.routed {
		if name != host {
			lines = append(lines, r.dst+" via "+r.gw)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// routes are podroutes' routes in host as "DST via GW" lines, sorted.
func (l *kubeLab) routes(t *testing.T, host string) string {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(l.hosts[host].ns.IP(t, "route", "show", "proto", "157")), "\n") {
		f := strings.Fields(line)
		if i := slices.Index(f, "via"); i > 0 && i+1 < len(f) {
			lines = append(lines, f[0]+" via "+f[i+1])
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// converge waits until every host in hosts (all four if none) routes what
// it should, and returns how long that took since start; it fails the test
// after limit.
func (l *kubeLab) converge(t *testing.T, start time.Time, limit time.Duration, hosts ...string) time.Duration {
	t.Helper()
	if len(hosts) == 0 {
		hosts = slices.Sorted(maps.Keys(l.hosts))
	}
	for {
		var wrong []string
		for _, h := range hosts {
			if got, want := l.routes(t, h), l.want(h); got != want {
				wrong = append(wrong, fmt.Sprintf("%s has\n%s\nwant\n%s", h, got, want))
			}
		}
		if len(wrong) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("after %s:\n%s", limit, strings.Join(wrong, "\n"))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// within logs how long hosts took to follow a change (the figure: `make
// bench` measures it), and fails the test past nstest.Patience.
func within(t *testing.T, what string, d time.Duration) {
	t.Helper()
	t.Logf("%s: every host's routes followed in %s", what, d.Round(time.Millisecond))
	if d > nstest.Patience {
		t.Errorf("%s: the routes followed in %s, want %s at most", what, d, nstest.Patience)
	}
}

// steady checks, for d, that no host's routes change from what they
// should be.
func (l *kubeLab) steady(t *testing.T, d time.Duration, why string) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		for h := range l.hosts {
			if got, want := l.routes(t, h), l.want(h); got != want {
				t.Fatalf("%s: %s has\n%s\nwant\n%s", why, h, got, want)
			}
		}
	}
}

// logged waits up to d for a line with s in host's watcher's output.
func (l *kubeLab) logged(t *testing.T, host, s string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); !strings.Contains(l.hosts[host].w.out.String(), s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no %q from watch on %s after %s:\n%s", s, host, d, l.hosts[host].w.out.String())
		}
	}
}

// TestKubeWatch runs `podroutes watch --kubeconfig` on every host of the
// lab, against a real API server, and checks the kernel routes of every
// host as Nodes join, leave, change address, clash and overlap the hosts'
// own link, as the API server
// is killed and started again, and with a token without rights. Joins,
// leaves and re-addressing are measured: every host follows within 1 s.
func TestKubeWatch(t *testing.T) {
	l := newKubeLab(t)
	for i, name := range []string{"node-0", "node-1", "node-2"} {
		l.create(t, name, fmt.Sprintf("10.240.0.2%d", i), fmt.Sprintf("10.200.%d.0/24", i))
	}
	l.create(t, "node-9", "10.240.0.29", "10.200.9.0/24") // no host of its own
	start := time.Now()
	for h := range l.hosts {
		l.watch(h, l.kubeconfig)
	}
	t.Logf("four watchers started: every host routed after %s", l.converge(t, start, 30*time.Second).Round(time.Millisecond))
	l.logged(t, "server", `routing to every Node as "server", a host outside the cluster`, nstest.Patience)

	t.Run("a Node leaves, one deleted while a watcher was stopped is pruned at its start", func(t *testing.T) {
		l.stop(t, "node-0")
		before := l.routes(t, "node-0")
		start := time.Now()
		l.c.DeleteNode(t, "node-9")
		delete(l.routed, "node-9")
		within(t, "node-9 deleted", l.converge(t, start, 5*time.Second, "server", "node-1", "node-2"))
		if got := l.routes(t, "node-0"); got != before || !strings.Contains(got, "10.200.9.0/24 via 10.240.0.29") {
			t.Fatalf("node-0's routes changed while its watcher was stopped:\n%s\nwas\n%s", got, before)
		}
		start = time.Now()
		l.watch("node-0", l.kubeconfig)
		t.Logf("node-0's watcher pruned node-9's route %s after it started", l.converge(t, start, 30*time.Second, "node-0").Round(time.Millisecond))
	})

	t.Run("a Node joins", func(t *testing.T) {
		start := time.Now()
		l.create(t, "node-3", "10.240.0.23", "10.200.3.0/24")
		within(t, "node-3 created", l.converge(t, start, 5*time.Second))
	})

	t.Run("a Node changes address", func(t *testing.T) {
		start := time.Now()
		l.c.SetNodeAddresses(t, "node-3", netip.MustParseAddr("10.240.0.33"))
		l.routed["node-3"] = routeTo{"10.200.3.0/24", "10.240.0.33"}
		within(t, "node-3 re-addressed", l.converge(t, start, 5*time.Second))
	})

	t.Run("an overlapping Node is refused; the older keeps the subnet, without flapping", func(t *testing.T) {
		// Created within a second of node-3, perhaps: its name sorts
		// after node-3's, so it is second either way.
		l.c.CreateNode(t, k8stest.Node{Name: "node-8", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.0.40")},
			PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.200.3.0/24")}})
		const refused = `node "node-8": duplicate subnet 10.200.3.0/24 (also Node "node-3", created first) (not routed)`
		for h := range l.hosts {
			l.logged(t, h, refused, 5*time.Second)
		}
		l.metric(t, "node-1", `podroutes_kubernetes_nodes{state="not_routed"} 1`)
		// Changes of the newcomer, each a new snapshot, move nothing.
		for _, ip := range []string{"10.240.0.41", "10.240.0.42"} {
			l.c.SetNodeAddresses(t, "node-8", netip.MustParseAddr(ip))
			l.steady(t, 500*time.Millisecond, "node-8 re-addressed to "+ip)
		}
		for h, host := range l.hosts {
			if n := strings.Count(host.w.out.String(), refused); n != 1 {
				t.Errorf("watch on %s logged the overlap %d times, want once:\n%s", h, n, host.w.out.String())
			}
		}
		// Once its holder leaves, the subnet is the newcomer's: it moves
		// once, and stays.
		start := time.Now()
		l.c.DeleteNode(t, "node-3")
		l.routed["node-8"] = routeTo{"10.200.3.0/24", "10.240.0.42"}
		delete(l.routed, "node-3")
		within(t, "node-3, holding the subnet, deleted", l.converge(t, start, 5*time.Second))
		l.steady(t, 500*time.Millisecond, "after the subnet moved")
		l.c.DeleteNode(t, "node-8")
		delete(l.routed, "node-8")
		l.converge(t, time.Now(), 5*time.Second)
	})

	t.Run("a Node whose subnet overlaps the hosts' link is left out; the others still follow", func(t *testing.T) {
		// 10.240.0.128/25 holds no Node's address, so the Nodes alone do
		// not refuse it; but every host's eth0 is on 10.240.0.0/24, which
		// a route there would shadow. One such Node must not hold up the
		// routes of the others, as it would a routes.yaml.
		l.c.CreateNode(t, k8stest.Node{Name: "node-7", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.0.27")},
			PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.240.0.128/25")}})
		const leftOut = "route 10.240.0.128/25 via 10.240.0.27 (node-7): destination overlaps 10.240.0.0/24 on eth0, a subnet this host is directly connected to (not routed)"
		for h := range l.hosts {
			l.logged(t, h, leftOut, 5*time.Second)
		}
		n1 := l.hosts["node-1"]
		expect(t, "apply --kubeconfig beside node-7", runBin(t, nil, n1.in, "apply", "--kubeconfig", l.kubeconfig, "--node", "node-1", "--lock", n1.lock), 1, leftOut)
		expect(t, "check --kubeconfig beside node-7", runBin(t, nil, n1.in, "check", "--kubeconfig", l.kubeconfig, "--node", "node-1"), 1,
			leftOut, "10.200.0.0/24 via 10.240.0.20",
			"left out  10.240.0.128/25 via 10.240.0.27 proto podroutes metric 100  # node-7, destination overlaps 10.240.0.0/24 on eth0")
		l.metric(t, "node-1", `podroutes_routes{state="left_out"} 1`)
		// A mistyped --node makes this host another host, whose routes
		// include one via this host's own address: left out, asking.
		expect(t, "apply --kubeconfig --node node1", runBin(t, nil, n1.in, "apply", "--dry-run", "--kubeconfig", l.kubeconfig, "--node", "node1"), 1,
			`the gateway is this host's own address (on eth0); is this host Node "node-1" (--node "node1")? (not routed)`)
		start := time.Now()
		l.create(t, "node-4", "10.240.0.24", "10.200.4.0/24")
		within(t, "node-4 created beside node-7", l.converge(t, start, 5*time.Second))
		l.steady(t, 500*time.Millisecond, "with node-7 left out")
		for h, host := range l.hosts {
			if n := strings.Count(host.w.out.String(), leftOut); n != 1 {
				t.Errorf("watch on %s logged node-7's route %d times, want once:\n%s", h, n, host.w.out.String())
			}
		}
		l.c.DeleteNode(t, "node-7")
		l.c.DeleteNode(t, "node-4")
		delete(l.routed, "node-4")
		l.converge(t, time.Now(), 5*time.Second)
		l.metric(t, "node-1", `podroutes_routes{state="left_out"} 0`)
	})

	t.Run("the API server killed and started again", func(t *testing.T) {
		l.c.StopAPI(t)
		for h := range l.hosts {
			l.logged(t, h, "is unreachable", 30*time.Second)
		}
		l.metric(t, "node-1", "podroutes_kubernetes_api_up 0")
		l.steady(t, 3*time.Second, "while the API server is down")
		l.c.StartAPI(t)
		start := time.Now()
		l.create(t, "node-5", "10.240.0.25", "10.200.5.0/24")
		t.Logf("node-5, created once the API server was ready again, routed everywhere after %s (client-go's reconnection backoff, up to 30 s)",
			l.converge(t, start, 60*time.Second).Round(time.Millisecond))
		l.metric(t, "node-1", "podroutes_kubernetes_api_up 1")
		l.metric(t, "node-1", `podroutes_kubernetes_nodes{state="routed"} 4`) // node-0, 1, 2 and 5
		for h, host := range l.hosts {
			if out := host.w.out.String(); strings.Count(out, "is unreachable") != 1 || !strings.Contains(out, "answers again") {
				t.Errorf("watch on %s does not log the outage once and its end:\n%s", h, out)
			}
		}
		start = time.Now()
		l.create(t, "node-6", "10.240.0.26", "10.200.6.0/24")
		within(t, "node-6 created after the outage", l.converge(t, start, 5*time.Second))
	})

	t.Run("a token without rights", func(t *testing.T) {
		nobody := l.c.Kubeconfig(t, l.c.Tokens.Nobody)
		r := runBin(t, nil, l.hosts["node-2"].in, "apply", "--kubeconfig", nobody, "--node", "node-2", "--lock", l.hosts["node-2"].lock)
		expect(t, "apply --kubeconfig as nobody", r, 1, `the kubeconfig's user may not list and watch Nodes`, "examples/rbac.yaml")
		l.stop(t, "node-2")
		// Ready after --wait all the same: the boot does not wait for an
		// API server that may not answer for hours.
		sd := notifytest.Listen(t)
		w := l.watchWith("node-2", nobody, []string{sd.Env()}, "--wait", "1s")
		sd.Wait(t, "READY=1\nSTATUS=waiting for the Nodes of https://10.240.0.10:6443; the routes stay as they are")
		// Ready, the unit may be reloaded: SIGHUP must not end it.
		w.signal(t, syscall.SIGHUP)
		l.logged(t, "node-2", `the kubeconfig's user may not list and watch Nodes at https://10.240.0.10:6443: nodes is forbidden: User "nobody" cannot list resource "nodes"`, 30*time.Second)
		l.steady(t, 2*time.Second, "with a watcher that may not list Nodes")
		select {
		case <-w.done:
			t.Fatalf("watch ended on a SIGHUP while it waited for the Nodes: %v\n%s", w.err, w.out.String())
		default:
		}
		l.stop(t, "node-2")
		if out := w.out.String(); strings.Count(out, "may not list and watch Nodes") != 1 {
			t.Errorf("the refusal is not logged once:\n%s", out)
		}
	})
}

// TestKubeOnePass: apply --kubeconfig installs what watch would, check
// --kubeconfig says so, gen --kubeconfig prints it; and a kubeconfig
// anyone may write is refused before anything is asked of the API server.
func TestKubeOnePass(t *testing.T) {
	l := newKubeLab(t)
	for i, name := range []string{"node-0", "node-1", "node-2"} {
		l.create(t, name, fmt.Sprintf("10.240.0.2%d", i), fmt.Sprintf("10.200.%d.0/24", i))
	}
	// Second to node-1 even if created in the same second: by name.
	l.c.CreateNode(t, k8stest.Node{Name: "node-8", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.0.30")},
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.200.1.0/24")}})
	in := l.hosts["node-1"].in
	lock := l.hosts["node-1"].lock
	refused := `node "node-8": duplicate subnet 10.200.1.0/24 (also Node "node-1", created first) (not routed)`
	expect(t, "apply --kubeconfig", runBin(t, nil, in, "apply", "--kubeconfig", l.kubeconfig, "--lock", lock), 0, refused, "2 routes in place: 2 added")
	l.converge(t, time.Now(), time.Second, "node-1")
	expect(t, "check --kubeconfig", runBin(t, nil, in, "check", "--kubeconfig", l.kubeconfig), 0, "in place  10.200.0.0/24 via 10.240.0.20")
	r := runBin(t, nil, in, "gen", "--kubeconfig", l.kubeconfig, "--format", "ip")
	expect(t, "gen --kubeconfig", r, 0, refused)
	if !strings.Contains(r.stdout, "# node-1\nip route replace 10.200.0.0/24 via 10.240.0.20 proto 157 metric 100\n") {
		t.Errorf("gen --kubeconfig --format ip printed:\n%s", r.stdout)
	}

	// Credentials the API server rejects: check cannot tell, which is not
	// drift: exit 3, and in JSON one line that says so.
	bad := l.c.Kubeconfig(t, "not-a-token")
	for _, output := range []string{"text", "json"} {
		r := runBin(t, nil, in, "check", "--kubeconfig", bad, "--output", output)
		expect(t, "check --kubeconfig --output "+output+" with a token the API server does not know", r, 3,
			"rejects the kubeconfig's credentials: Unauthorized")
		if output == "json" {
			var line map[string]string
			if err := json.Unmarshal([]byte(r.stdout), &line); err != nil || len(line) != 1 ||
				!strings.Contains(line["unknown"], "rejects the kubeconfig's credentials") {
				t.Errorf("check --output json, unable to tell, printed %q (%v); want one line {\"unknown\": why}", r.stdout, err)
			}
		} else if r.stdout != "" {
			t.Errorf("check, unable to tell, printed %q", r.stdout)
		}
	}

	if err := os.Chmod(l.kubeconfig, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"apply", "--lock", lock}, {"watch", "--lock", lock}, {"check"}, {"gen"}} {
		expect(t, args[0]+" with a world-writable kubeconfig", runBin(t, nil, in, append(args, "--kubeconfig", l.kubeconfig)...), 2,
			l.kubeconfig+": refusing kubeconfig: ")
	}
	expect(t, "--kubeconfig with --config", podroutes(t, "apply", "--kubeconfig", l.kubeconfig, "--config", "x"), 2, "--kubeconfig excludes --config and --inventory")
}

// TestKubeUnplanned: watch --kubeconfig, on a host found by its address,
// cannot plan while the host holds a second Node's address too. Until it
// can again, it says so: every pass a failure, no route said in place, the
// last success not renewed, nothing "resolved"; once the address goes it
// plans again at once, and a Node created meanwhile is routed.
func TestKubeUnplanned(t *testing.T) {
	l := newKubeLab(t)
	for i, name := range []string{"node-0", "node-1", "node-2"} {
		l.create(t, name, fmt.Sprintf("10.240.0.2%d", i), fmt.Sprintf("10.200.%d.0/24", i))
	}
	h := l.hosts["node-1"]
	h.w = startBin(t, nil, h.in, "watch", "--kubeconfig", l.kubeconfig, "--lock", h.lock, "--metrics-file", h.prom)
	l.converge(t, time.Now(), 30*time.Second, "node-1")
	l.metric(t, "node-1", `podroutes_routes{state="in_place"} 2`)
	success := l.value(t, "node-1", "podroutes_last_success_timestamp_seconds")

	h.ns.IP(t, "addr", "add", "10.240.0.20/32", "dev", "eth0") // node-0's
	l.create(t, "node-3", "10.240.0.23", "10.200.3.0/24")
	const twice = "more than one host has an address of this host's: Node node-0 (10.240.0.20)"
	l.logged(t, "node-1", twice, 5*time.Second)
	l.metric(t, "node-1", `podroutes_routes{state="in_place"} 0`)
	l.metric(t, "node-1", `podroutes_routes{state="missing"} 0`)
	// The retries (1 s, then 2 s later) fail too.
	for end := time.Now().Add(8 * time.Second); l.value(t, "node-1", `podroutes_passes_total{result="failure"}`) < 3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("fewer than 3 failed passes 8 s after the plan failed:\n%s", h.w.out.String())
		}
	}
	if got := l.value(t, "node-1", "podroutes_last_success_timestamp_seconds"); got != success {
		t.Errorf("the last success went from %v to %v without a plan", success, got)
	}
	if out := h.w.out.String(); strings.Contains(out, "resolved") || strings.Count(out, twice) != 1 {
		t.Errorf("without a plan, watch logged a resolution, or the failure other than once:\n%s", out)
	}

	start := time.Now()
	h.ns.IP(t, "addr", "del", "10.240.0.20/32", "dev", "eth0")
	within(t, "the second Node's address gone", l.converge(t, start, 5*time.Second, "node-1"))
	l.metric(t, "node-1", `podroutes_routes{state="in_place"} 3`)
	l.logged(t, "node-1", "resolved: the problems of the last pass are gone", 5*time.Second)
	if got := l.value(t, "node-1", "podroutes_last_success_timestamp_seconds"); got <= success {
		t.Errorf("the last success is still %v once the plan works", got)
	}
}

// value is the value of the series named (with its labels) in host's
// watcher's textfile; the test fails if it has none.
func (l *kubeLab) value(t *testing.T, host, series string) float64 {
	t.Helper()
	data, _ := os.ReadFile(l.hosts[host].prom)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("%s's metrics lack %s:\n%s", host, series, data)
	return 0
}
