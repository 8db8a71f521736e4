package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
)

// The lab: this host (node-0) reaches node-1's pod subnet via node-1.
const (
	hostAddr  = "10.240.0.20/24"
	peerAddr  = "10.240.0.21/24"
	machines  = "10.240.0.10 server.kubernetes.local server\n10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24\n10.240.0.21 node-1.kubernetes.local node-1 10.200.1.0/24\n"
	netFile   = "10-netplan-eth0.network"
	protocol  = 157
	debInRoot = "/var/tmp/podroutes.deb"
)

var wantRoutes = []string{"10.200.1.0/24 via 10.240.0.21 dev eth0 metric 100"}

// networkFile is netFile in the networkd cases: networkd gives eth0 the
// lab host's address, and nothing else (no link-local address, no RA).
const networkFile = "[Match]\nName=eth0\n\n[Network]\nAddress=" + hostAddr + "\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n"

// probeUnit records the routes it finds when it starts: ordered after
// podroutes.service, it must see them all.
const probeUnit = `[Unit]
Description=starts after podroutes.service and records the routes it finds
After=podroutes.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip -4 route show proto 157 > /run/probe.routes'
[Install]
WantedBy=multi-user.target
`

// fixture is what every case shares: the .deb of the release's
// architecture and gen's tree for node-0, and the release's root fs it boots.
type fixture struct {
	debs      map[string]string // by architecture
	deb, tree string
	rootfs    string
	release   Release
}

// bootCase is a boot test case; emulated ones run on emulated releases too.
type bootCase struct {
	name     string
	run      func(ctx context.Context, t *testing.T, f fixture)
	emulated bool
}

// The cases. An emulated release (arm64 under qemu-user, each step several
// times slower) runs the basic case and the inventory case: the package,
// its unit and maintainer scripts, and apply's choice of its host, on that
// architecture's binary; the rest is the same code on the same kernel.
var bootCases = []bootCase{
	{"boot-stop-reboot-dpkg", testBoot, true},
	{"late-network", testLateNetwork, false},
	{"late-network-restart", func(ctx context.Context, t *testing.T, f fixture) { testRestart(ctx, t, f, false) }, false},
	{"late-network-restart-direct", func(ctx context.Context, t *testing.T, f fixture) { testRestart(ctx, t, f, true) }, false},
	{"networkd", testNetworkd, false},
	{"inventory", testInventory, true},
	{"networkd-inventory", testNetworkdInventory, false},
	{"metrics", testMetrics, false},
	{"kubernetes", func(ctx context.Context, t *testing.T, f fixture) { testKubernetes(ctx, t, f, false) }, false},
	{"kubernetes-networkd", func(ctx context.Context, t *testing.T, f fixture) { testKubernetes(ctx, t, f, true) }, false},
	{"offlink", testOffLink, false},
}

func TestBoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (network namespaces, overlay mounts, cgroups, systemd-nspawn)")
	}
	if testing.Short() {
		t.Skip("skipped in -short mode: boots systemd several times (about a minute)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline(t))
	defer cancel()
	Sweep()
	start := time.Now()
	if err := EnsureTools(ctx, "systemd-nspawn:systemd-container", "debootstrap:debootstrap", "nsenter:util-linux"); err != nil {
		t.Fatal(err)
	}
	// An emulated release's root fs takes longest to make (about 80 s on a
	// fresh machine): made beside the build and the native releases' cases,
	// it is ready when its turn comes.
	emulated := map[Release]chan prepared{}
	for _, r := range Releases {
		if r.Emulated() {
			emulated[r] = make(chan prepared, 1)
			go func() { emulated[r] <- prepare(ctx, r) }()
		}
	}
	f := build(ctx, t)
	t.Logf("packages and gen tree ready in %v", time.Since(start).Round(time.Millisecond))
	for _, r := range Releases {
		t.Run(r.Name(), func(t *testing.T) {
			start := time.Now()
			f := f
			f.release = r
			if f.deb = f.debs[r.Arch]; f.deb == "" {
				t.Fatalf("packaging/build.sh made no %s .deb", r.Arch)
			}
			var err error
			if ch, ok := emulated[r]; ok {
				p := <-ch
				for _, l := range p.did {
					t.Log(l)
				}
				if p.err != nil {
					t.Fatal(p.err)
				}
			}
			if f.rootfs, err = Rootfs(ctx, r); err != nil {
				t.Fatal(err)
			}
			// The cache names the release; its systemd must be the one the
			// cases and their expectations are for, of its architecture.
			v, err := SystemdVersion(f.rootfs)
			if err != nil {
				t.Fatal(err)
			}
			if major, _, _ := strings.Cut(v, "."); major != fmt.Sprint(r.Systemd) {
				t.Fatalf("%s: systemd %s in the root fs, want %d", f.rootfs, v, r.Systemd)
			}
			if arch, err := Arch(f.rootfs); err != nil || arch != r.Arch {
				t.Fatalf("%s: a root fs of %q (%v), want %s", f.rootfs, arch, err, r.Arch)
			}
			t.Logf("%s (systemd %s, %s) ready in %v", f.rootfs, v, r.Arch, time.Since(start).Round(time.Millisecond))
			for _, c := range bootCases {
				if c.emulated || !r.Emulated() {
					t.Run(c.name, func(t *testing.T) { c.run(ctx, t, f) })
				}
			}
		})
	}
}

// prepared is what prepare did for an emulated release.
type prepared struct {
	did []string // what Emulation.Ensure installed, mounted, registered
	err error
}

// prepare registers r's emulation and makes r's root fs.
func prepare(ctx context.Context, r Release) prepared {
	did, err := HostEmulation().Ensure(ctx, r.Arch)
	if err == nil {
		_, err = Rootfs(ctx, r)
	}
	return prepared{did, err}
}

// deadline leaves a minute of the test timeout for cleanups.
func deadline(t *testing.T) time.Duration {
	if d, ok := t.Deadline(); ok {
		return time.Until(d) - time.Minute
	}
	return 10 * time.Minute
}

// build makes the .deb of each release's architecture with
// packaging/build.sh and, with the packaged binary of this host's, gen's
// tree for node-0 from the lab's machines.txt.
func build(ctx context.Context, t *testing.T) fixture {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readInputs(t, root)
	dir := t.TempDir()
	var archs []string
	for _, r := range Releases {
		if !slices.Contains(archs, r.Arch) {
			archs = append(archs, r.Arch)
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "packaging/build.sh"), dir)
	cmd.Env = append(os.Environ(), "ARCHS="+strings.Join(archs, " "))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("packaging/build.sh: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	f := fixture{debs: map[string]string{}, tree: filepath.Join(dir, "tree")}
	for _, deb := range debs {
		arch, err := run(ctx, "dpkg-deb", "--field", deb, "Architecture")
		if err != nil {
			t.Fatal(err)
		}
		f.debs[strings.TrimSpace(arch)] = deb
	}
	if len(debs) != len(archs) || len(f.debs) != len(archs) {
		t.Fatalf("packaging/build.sh made %d .deb files for %q, want one for each of %q:\n%s", len(debs), f.debs, archs, out)
	}
	if _, err := run(ctx, "dpkg-deb", "-x", f.debs[runtime.GOARCH], filepath.Join(dir, "x")); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "machines.txt")
	filetest.Write(t, inv, machines, 0o644)
	if _, err := run(ctx, filepath.Join(dir, "x/usr/bin/podroutes"), "gen", "--inventory", inv,
		"--out", f.tree, "--node", "node-0"); err != nil {
		t.Fatal(err)
	}
	return f
}

// readInputs reads every file the package is built from, so that `go test`
// caches a result only as long as none of them changes.
func readInputs(t *testing.T, root string) {
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == ".git" || e.Name() == "dist") {
			return filepath.SkipDir
		}
		if e.Type().IsRegular() {
			_, err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testBoot: the routes are in place at boot before units ordered after the
// unit start; reload re-applies; stop and shutdown remove them; a reboot
// brings them back; dpkg upgrade reloads (and restarts the watcher), remove
// stops, purge cleans /etc.
func testBoot(ctx context.Context, t *testing.T, f fixture) {
	lab, m := newMachine(ctx, t, f, nil)
	uplinkUp(ctx, t, lab)
	boot(ctx, t, lab, m)
	wantActive(ctx, t, m, 1)
	wantRoutesNow(ctx, t, lab, "after boot", wantRoutes)
	wantProbeSaw(t, m, wantRoutes)
	if f.release.Emulated() && waitJournal(ctx, m, "podroutes.service", "the kernel has no nexthop objects", 0) {
		// qemu-user does not translate RTM_NEWNEXTHOP: what runs here is
		// apply's fallback, routes with their gateway; nexthop objects are
		// proven by the native releases and the namespace tests.
		t.Log("under qemu-user apply found no nexthop objects: this release proves the gateway-route path")
	}
	if out, _ := m.Exec(ctx, "systemctl", "status", "podroutes.service"); !strings.Contains(out, `Status: "1 route`) {
		t.Errorf("systemctl status shows no Status: line:\n%s", out)
	}
	if out, _ := m.Exec(ctx, "ip", "route", "show", "10.200.1.0/24"); !strings.Contains(out, "proto podroutes") {
		t.Errorf("ip route does not name protocol 157 (rt_protos.d): %q", out)
	}
	// With stderr, where systemd-analyze reports unknown keys and bad values.
	if out, err := m.Exec(ctx, "sh", "-c", "systemd-analyze verify --man=no podroutes.service podroutes-watch.service 2>&1"); err != nil || out != "" {
		t.Errorf("systemd-analyze verify: %v %s", err, out)
	}
	// lint.sh scores the units with the host's systemd-analyze (252); this is
	// the release's own, on the units as its manager loaded them.
	for _, u := range []string{"podroutes.service", "podroutes-watch.service"} {
		if score := exposure(ctx, t, m, u); score > maxExposure {
			t.Errorf("systemd-analyze security %s: exposure %.1f, want at most %.1f", u, score, maxExposure)
		}
	}
	// The watcher's reload (SIGHUP from ExecReload=) reaches it, and it keeps
	// running; stopping only the watcher leaves the routes in place.
	mustExec(ctx, t, m, "systemctl", "start", "podroutes-watch.service")
	mustExec(ctx, t, m, "systemctl", "reload", "podroutes-watch.service")
	if !waitJournal(ctx, m, "podroutes-watch.service", "config reloaded", 10*time.Second) {
		t.Error("podroutes-watch.service: no \"config reloaded\" in its journal 10 s after systemctl reload")
	}
	if u := unit(ctx, t, m, "podroutes-watch.service"); u["ActiveState"] != "active" {
		t.Errorf("after reload: podroutes-watch.service %s, want active", u["ActiveState"])
	}
	mustExec(ctx, t, m, "systemctl", "stop", "podroutes-watch.service")
	wantRoutesNow(ctx, t, lab, "after systemctl stop podroutes-watch", wantRoutes)

	mustExec(ctx, t, m, "systemctl", "reload", "podroutes.service")
	wantActive(ctx, t, m, 0) // the reload's STATUS= counts (NotifyAccess=exec)
	if _, err := lab.IP(ctx, "route", "del", "10.200.1.0/24"); err != nil {
		t.Fatal(err)
	}
	mustExec(ctx, t, m, "systemctl", "reload", "podroutes.service")
	wantActive(ctx, t, m, 1)
	wantRoutesNow(ctx, t, lab, "after reload healed a deleted route", wantRoutes)

	mustExec(ctx, t, m, "systemctl", "stop", "podroutes.service")
	if u := unit(ctx, t, m, "podroutes.service"); u["ActiveState"] != "inactive" {
		t.Errorf("after stop: podroutes.service %s, want inactive", u["ActiveState"])
	}
	wantRoutesNow(ctx, t, lab, "after systemctl stop", nil)
	mustExec(ctx, t, m, "systemctl", "start", "podroutes.service")
	wantRoutesNow(ctx, t, lab, "after systemctl start", wantRoutes)
	shutdown(ctx, t, m)
	wantRoutesNow(ctx, t, lab, "after poweroff", nil)

	boot(ctx, t, lab, m)
	wantActive(ctx, t, m, 1)
	wantRoutesNow(ctx, t, lab, "after reboot", wantRoutes)
	wantProbeSaw(t, m, wantRoutes)

	// Upgrade (a reinstall runs postinst configure with the old version):
	// podroutes.service reloads, so apply finds nothing to add and the
	// routes never go away; the watcher restarts, so that the new binary
	// watches (a reload would keep the old one running until a reboot).
	mustExec(ctx, t, m, "systemctl", "start", "podroutes-watch.service")
	old := unit(ctx, t, m, "podroutes-watch.service")["MainPID"]
	mustExec(ctx, t, m, "dpkg", "-i", debInRoot)
	wantActive(ctx, t, m, 0)
	if u := unit(ctx, t, m, "podroutes-watch.service"); u["ActiveState"] != "active" || u["MainPID"] == old {
		t.Errorf("after upgrade: podroutes-watch.service %s with PID %s (%s before); want active, restarted", u["ActiveState"], u["MainPID"], old)
	}
	wantRoutesNow(ctx, t, lab, "after upgrade", wantRoutes)
	mustExec(ctx, t, m, "dpkg", "--remove", "podroutes")
	if u := unit(ctx, t, m, "podroutes.service"); u["ActiveState"] != "inactive" || u["UnitFileState"] != "masked" {
		t.Errorf("after dpkg --remove: podroutes.service %s/%s, want inactive/masked", u["ActiveState"], u["UnitFileState"])
	}
	wantRoutesNow(ctx, t, lab, "after dpkg --remove", nil)
	if !exists(m.InRoot("/etc/podroutes/routes.yaml")) {
		t.Error("dpkg --remove deleted /etc/podroutes/routes.yaml; only purge may")
	}
	mustExec(ctx, t, m, "dpkg", "--purge", "podroutes")
	for _, p := range []string{"/etc/podroutes", "/etc/systemd/system/podroutes.service", "/etc/iproute2/rt_protos.d/podroutes.conf"} {
		if exists(m.InRoot(p)) {
			t.Errorf("dpkg --purge left %s behind", p)
		}
	}
	shutdown(ctx, t, m)
}

// testLateNetwork: the uplink gets its address 3 s after boot; the unit
// waits (activating, holding back probe.service) and then succeeds.
func testLateNetwork(ctx context.Context, t *testing.T, f fixture) {
	lab, m := newMachine(ctx, t, f, nil)
	bootLateUplink(ctx, t, lab, m, 3*time.Second, true)
	u := unit(ctx, t, m, "podroutes.service")
	if u["NRestarts"] != "0" {
		t.Errorf("podroutes.service restarted %s times; the wait should have covered 3 s", u["NRestarts"])
	}
	t.Logf("apply waited for the network: its process ran %s µs", elapsed(u))
	shutdown(ctx, t, m)
}

// testRestart: with --wait 1s the uplink, 4 s late, outlasts the wait;
// Restart=on-failure tries again and succeeds. By default the first failure
// releases the units ordered after podroutes.service: systemd fails the start
// job and queues a restart job, so probe.service runs without the routes
// (systemd 252 and 257 alike; the unit's comment says so). With direct, a
// drop-in adds RestartMode=direct: from systemd 254 on (trixie) the start job
// lasts through the retries and probe.service waits for the routes; 252
// (bookworm) ignores the key (Unknown key 'RestartMode') and releases it.
func testRestart(ctx context.Context, t *testing.T, f fixture, direct bool) {
	conf := "[Service]\nExecStart=\nExecStart=/usr/bin/podroutes apply --wait 1s\nRestartSec=1s\n"
	if direct {
		conf += "RestartMode=direct\n"
	}
	lab, m := newMachine(ctx, t, f, map[string]string{"/etc/systemd/system/podroutes.service.d/fast.conf": conf})
	bootLateUplink(ctx, t, lab, m, 4*time.Second, direct && f.release.Systemd >= 254)
	if u := unit(ctx, t, m, "podroutes.service"); u["NRestarts"] == "0" {
		t.Errorf("podroutes.service never restarted; --wait 1s should have run out")
	} else {
		t.Logf("podroutes.service succeeded after %s restarts", u["NRestarts"])
	}
	shutdown(ctx, t, m)
}

// bootLateUplink boots with the lab host's uplink down and without address,
// brings it up delay after apply started, and checks the unit and the routes,
// and that probe.service waited for them (holdsBack) or, released before they
// came, ran and saw none. The delay counts from apply's start, not from the
// boot's: trixie takes about a second longer than bookworm to get there, and
// a loaded host seconds more.
func bootLateUplink(ctx context.Context, t *testing.T, lab *Lab, m *Machine, delay time.Duration, holdsBack bool) {
	t.Helper()
	start := time.Now()
	if err := m.Boot(ctx, lab.Host); err != nil {
		t.Fatal(err)
	}
	for unit(ctx, t, m, "podroutes.service")["ActiveState"] != "activating" {
		if time.Since(start) > time.Minute {
			t.Fatal("podroutes.service not started a minute after boot")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("apply started %v after boot", time.Since(start).Round(time.Millisecond))
	time.Sleep(delay)
	if u := unit(ctx, t, m, "podroutes.service"); u["ActiveState"] != "activating" {
		t.Errorf("%v after apply started without network: podroutes.service %s, want activating", delay, u["ActiveState"])
	}
	if p := unit(ctx, t, m, "probe.service"); holdsBack && p["ActiveState"] != "inactive" {
		t.Errorf("probe.service %s before the routes are in place, want inactive (waiting)", p["ActiveState"])
	} else if !holdsBack && p["ActiveState"] != "active" {
		t.Errorf("probe.service %s after apply's first failure, want active (released)", p["ActiveState"])
	}
	uplinkUp(ctx, t, lab)
	waitStarted(ctx, t, m)
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if unit(ctx, t, m, "podroutes.service")["ActiveState"] != "activating" {
			break // done restarting
		}
	}
	wantActive(ctx, t, m, 1)
	wantRoutesNow(ctx, t, lab, "after the late uplink", wantRoutes)
	if holdsBack {
		wantProbeSaw(t, m, wantRoutes)
	} else {
		wantProbeSaw(t, m, nil)
	}
}

func elapsed(u map[string]string) string {
	var a, b int64
	fmt.Sscan(u["ExecMainStartTimestampMonotonic"], &a) //nolint:errcheck // 0 if absent
	fmt.Sscan(u["ExecMainExitTimestampMonotonic"], &b)  //nolint:errcheck // 0 if absent
	return fmt.Sprint(b - a)
}

// testNetworkd: systemd-networkd manages the uplink with gen's drop-in; after
// `networkctl reconfigure` (which drops foreign routes) the routes are back,
// once (adopted, not duplicated), and podroutes check is in sync; the same
// with podroutes-watch.service running, which heals inline.
func testNetworkd(ctx context.Context, t *testing.T, f fixture) {
	dropin := filetest.Read(t, filepath.Join(f.tree, "node-0/etc/systemd/network", netFile+".d/50-podroutes.conf"))
	files := map[string]string{
		"/etc/systemd/network/" + netFile:                          networkFile,
		"/etc/systemd/network/" + netFile + ".d/50-podroutes.conf": string(dropin),
	}
	lab, m := newMachine(ctx, t, f, files, "systemd-networkd.service")
	installDropIn(ctx, t, m, "podroutes.service", "networkd.conf")
	boot(ctx, t, lab, m)
	// networkd installed the drop-in's route before apply ran (networkd.conf
	// orders it after wait-online): apply finds it identical, adds nothing.
	wantActive(ctx, t, m, 0)
	wantRoutesNow(ctx, t, lab, "after boot with networkd", wantRoutes)
	wantProbeSaw(t, m, wantRoutes)
	reconfigured(ctx, t, lab, m, wantRoutes)

	// podroutes-watch.service has no --networkd-dropin: it finds gen's
	// drop-in in /etc/systemd/network and heals as networkd writes, the
	// gateway inline (no nhid), so networkd adopts the route.
	mustExec(ctx, t, m, "systemctl", "start", "podroutes-watch.service")
	if !waitJournal(ctx, m, "podroutes-watch.service", "systemd-networkd installs these routes too", 10*time.Second) {
		t.Error("podroutes-watch.service did not log that networkd installs its routes")
	}
	if _, err := lab.IP(ctx, "route", "del", "10.200.1.0/24"); err != nil {
		t.Fatal(err)
	}
	if !waitRoutes(ctx, lab, wantRoutes, 10*time.Second) {
		wantRoutesNow(ctx, t, lab, "10 s after ip route del, podroutes-watch healing", wantRoutes)
	}
	if out, err := lab.IP(ctx, "-4", "route", "show", "proto", strconv.Itoa(protocol)); err != nil || strings.Contains(out, "nhid") {
		t.Errorf("podroutes-watch healed through a nexthop object, not inline as networkd writes: %v\n%s", err, out)
	}
	reconfigured(ctx, t, lab, m, wantRoutes)
	mustExec(ctx, t, m, "systemctl", "stop", "podroutes-watch.service")

	// A drop-in edited apart from routes.yaml (here node-1 re-addressed in
	// one of the two) is drift to check: networkd would make its route at
	// the next reconfigure, though the kernel's routes are right now.
	path := "/etc/systemd/network/" + netFile + ".d/50-podroutes.conf"
	filetest.Write(t, m.InRoot(path), strings.Replace(string(dropin), "Gateway=10.240.0.21", "Gateway=10.240.0.31", 1), 0o644)
	// Exec's error carries stderr, where check names the drift.
	if out, err := m.Exec(ctx, "podroutes", "check"); err == nil ||
		!strings.Contains(err.Error(), path+": has 10.200.1.0/24 via 10.240.0.31 proto podroutes metric 100, which the config does not want: networkd would add it\n"+
			path+": lacks 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100: networkd would drop it") {
		t.Errorf("podroutes check with the drop-in edited: %v, want exit 1 naming its route\n%s", err, out)
	}
	// apply warns of it, and puts the config's routes in as ever.
	mustExec(ctx, t, m, "systemctl", "reload", "podroutes.service")
	if !waitJournal(ctx, m, "podroutes.service", path+": has 10.200.1.0/24 via 10.240.0.31", 5*time.Second) {
		t.Error("podroutes.service: no warning of the edited drop-in in its journal after systemctl reload")
	}
	wantRoutesNow(ctx, t, lab, "after systemctl reload with the drop-in edited", wantRoutes)
	shutdown(ctx, t, m)
}

// testInventory: the .deb and only /etc/podroutes/inventory, the lab's
// machines.txt every host shares, on a host whose hostname (podtest)
// matches no line: podroutes.service finds it by its address (node-0),
// ends active with its routes, and units after it see them.
func testInventory(ctx context.Context, t *testing.T, f fixture) {
	lab, m := newMachine(ctx, t, f, inventoryOnly(machines, nil))
	uplinkUp(ctx, t, lab)
	boot(ctx, t, lab, m)
	wantActive(ctx, t, m, 1)
	wantRoutesNow(ctx, t, lab, "after boot from the inventory", wantRoutes)
	wantProbeSaw(t, m, wantRoutes)
	if out := mustExec(ctx, t, m, "hostname"); strings.TrimSpace(out) != "podtest" {
		t.Errorf("hostname %q: the case wants one that names no host of the inventory", out)
	}
	if out, err := m.Exec(ctx, "podroutes", "check"); err != nil || !strings.Contains(out, "in place  10.200.1.0/24 via 10.240.0.21") {
		t.Errorf("podroutes check (the inventory by default): %v\n%s", err, out)
	}
	// A node re-addressed, as the README says to roll it out: the new file,
	// then `systemctl reload podroutes` and nothing else. The watcher must
	// reload too (ReloadPropagatedFrom=): one that kept the old inventory
	// would heal node-1's route back to its old gateway at once.
	mustExec(ctx, t, m, "systemctl", "start", "podroutes-watch.service")
	filetest.Write(t, m.InRoot("/etc/podroutes/inventory"), strings.Replace(machines, "10.240.0.21 ", "10.240.0.31 ", 1), 0o644)
	mustExec(ctx, t, m, "systemctl", "reload", "podroutes.service")
	if !waitJournal(ctx, m, "podroutes-watch.service", "config reloaded", 10*time.Second) {
		t.Error("podroutes-watch.service: no \"config reloaded\" in its journal 10 s after systemctl reload podroutes")
	}
	moved := []string{"10.200.1.0/24 via 10.240.0.31 dev eth0 metric 100"}
	time.Sleep(time.Second) // what a watcher with the old inventory would undo, it undoes in milliseconds
	wantRoutesNow(ctx, t, lab, "1 s after the inventory changed and systemctl reload podroutes", moved)
	shutdown(ctx, t, m)
}

// testNetworkdInventory: where systemd-networkd manages the uplink and the
// host has only the shared inventory, apply (networkd.conf's
// --networkd-dropin) writes this host's drop-in into /run/systemd/network
// and has networkd reload: the routes are back after `networkctl
// reconfigure`, as with gen's drop-in in /etc.
func testNetworkdInventory(ctx context.Context, t *testing.T, f fixture) {
	lab, m := newMachine(ctx, t, f, inventoryOnly(machines, map[string]string{
		"/etc/systemd/network/" + netFile: networkFile,
	}), "systemd-networkd.service")
	installDropIn(ctx, t, m, "podroutes.service", "networkd.conf")
	boot(ctx, t, lab, m)
	// apply writes the drop-in and has networkd reload before it writes
	// routes: either may add the route first, and networkd may add it
	// between apply's read of the table and its add (apply then finds it
	// in place: 0 added).
	wantActive(ctx, t, m, -1)
	wantRoutesNow(ctx, t, lab, "after boot with networkd", wantRoutes)
	dropin := "/run/systemd/network/" + netFile + ".d/50-podroutes.conf"
	if b, err := os.ReadFile(m.InRoot(dropin)); err != nil || !strings.Contains(string(b), "Destination=10.200.1.0/24\nGateway=10.240.0.21\nProtocol=157") {
		t.Fatalf("apply wrote no drop-in for node-0 at %s: %v\n%s", dropin, err, b)
	}
	reconfigured(ctx, t, lab, m, wantRoutes)

	// systemctl stop removes the routes and the drop-in apply wrote, or
	// networkd would put the routes back at its next reconfigure of the
	// link (a flap, a reload).
	mustExec(ctx, t, m, "systemctl", "stop", "podroutes.service")
	if exists(m.InRoot(dropin)) || exists(m.InRoot(filepath.Dir(dropin))) {
		t.Errorf("systemctl stop podroutes left apply's drop-in %s, or its directory", dropin)
	}
	if !waitJournal(ctx, m, "podroutes.service", "removed "+dropin+" and reloaded systemd-networkd", 5*time.Second) {
		t.Error("podroutes.service did not log that stopping removed its drop-in and reloaded networkd")
	}
	mustExec(ctx, t, m, "networkctl", "reconfigure", "eth0")
	if out, err := m.Exec(ctx, "/lib/systemd/systemd-networkd-wait-online", "-i", "eth0", "--timeout=10"); err != nil {
		t.Errorf("waiting for networkd to configure eth0 again: %v\n%s", err, out)
	}
	time.Sleep(time.Second) // what networkd puts back, it puts back within milliseconds of wait-online
	wantRoutesNow(ctx, t, lab, "after systemctl stop podroutes and networkctl reconfigure eth0", nil)
	shutdown(ctx, t, m)
}

// reconfigured has networkd reconfigure eth0, which drops the link's
// routes and adds those it knows again, and wants podroutes' routes back
// and `podroutes check SOURCE...` content, each within 10 s.
func reconfigured(ctx context.Context, t *testing.T, lab *Lab, m *Machine, want []string, source ...string) {
	t.Helper()
	mustExec(ctx, t, m, "networkctl", "reconfigure", "eth0")
	// reconfigure returns before networkd has dropped and re-added the
	// routes: wait until the link is configured again, then look.
	if out, err := m.Exec(ctx, "/lib/systemd/systemd-networkd-wait-online", "-i", "eth0", "--timeout=10"); err != nil {
		t.Errorf("waiting for networkd to configure eth0 again: %v\n%s", err, out)
	}
	if !waitRoutes(ctx, lab, want, 10*time.Second) {
		wantRoutesNow(ctx, t, lab, "10 s after networkctl reconfigure eth0", want)
	}
	// Then check must agree (within a few seconds: networkd may still be
	// settling the link when wait-online returns).
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, err := m.Exec(ctx, append([]string{"podroutes", "check"}, source...)...)
		if err == nil {
			return
		}
		if time.Now().After(end) {
			t.Errorf("podroutes check 10 s after reconfigure: %v\n%s", err, out)
			return
		}
	}
}
