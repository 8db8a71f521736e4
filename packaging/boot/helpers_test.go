package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
)

// maxExposure is packaging/lint.sh's MAX_EXPOSURE.
const maxExposure = 1.5

// newMachine makes a lab and a machine with the package installed, the
// probe and units enabled, and files (path in the machine: content) in place.
func newMachine(ctx context.Context, t *testing.T, f fixture, files map[string]string, units ...string) (*Lab, *Machine) {
	lab, err := NewLab(ctx, peerAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	return lab, newMachineIn(ctx, t, lab, f, files, units...)
}

// newMachineIn is newMachine in a lab of the caller's.
func newMachineIn(ctx context.Context, t *testing.T, lab *Lab, f fixture, files map[string]string, units ...string) *Machine {
	m, err := NewMachine(f.rootfs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	deb := filetest.Read(t, f.deb)
	routes, err := os.ReadFile(filepath.Join(f.tree, "node-0/etc/podroutes/routes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{
		debInRoot:                           string(deb),
		"/etc/podroutes/routes.yaml":        string(routes),
		"/etc/systemd/system/probe.service": probeUnit,
	}
	if f.release.Emulated() {
		for _, u := range credentialUnits {
			all["/etc/systemd/system/"+u+".d/qemu-user.conf"] = noCredentials
		}
	}
	for p, c := range files {
		all[p] = c
	}
	for p, c := range all {
		if c != absent {
			filetest.Write(t, filepath.Join(m.Root, p), c, 0o644)
		}
	}
	script := fmt.Sprintf("dpkg -i %s && systemctl enable podroutes.service probe.service %s",
		debInRoot, strings.Join(units, " "))
	start := time.Now()
	defer func() { t.Logf("installed in %v", time.Since(start).Round(time.Millisecond)) }()
	if out, err := m.Run(ctx, nil, "sh", "-ec", script); err != nil {
		t.Fatalf("installing: %v", err)
	} else if strings.Contains(out, "rror") {
		t.Errorf("installing printed errors:\n%s", out)
	}
	t.Cleanup(func() { logJournal(t, m) })
	return m
}

// Under qemu-user, systemd (252, arm64) fails every unit with LoadCredential=
// before it runs: "Failed to set up credentials: Invalid argument", status
// 243/CREDENTIALS (mounting the unit's credentials directory fails in the
// emulation). Those are the boot's own units, none of podroutes'; without
// their credentials (nobody passes any here) they start, and the system
// comes up "running", as the cases want.
var credentialUnits = []string{"systemd-sysusers.service", "systemd-tmpfiles-setup-dev.service", "systemd-tmpfiles-setup.service"}

const noCredentials = "# qemu-user: see credentialUnits in packaging/boot/helpers_test.go\n[Service]\nLoadCredential=\n"

// installDropIn copies a drop-in the package ships,
// /usr/share/doc/podroutes/FILE, into unit's drop-in directory in m.
func installDropIn(ctx context.Context, t *testing.T, m *Machine, unit, file string) {
	t.Helper()
	dir := "/etc/systemd/system/" + unit + ".d"
	if out, err := m.Run(ctx, nil, "sh", "-ec", "mkdir -p "+dir+" && cp /usr/share/doc/podroutes/"+file+" "+dir+"/"); err != nil {
		t.Fatalf("installing %s: %v\n%s", file, err, out)
	}
}

// uplinkUp gives the lab host its address and brings its eth0 up.
func uplinkUp(ctx context.Context, t *testing.T, lab *Lab) {
	t.Helper()
	for _, args := range [][]string{{"addr", "add", hostAddr, "dev", "eth0"}, {"link", "set", "eth0", "up"}} {
		if _, err := lab.IP(ctx, args...); err != nil {
			t.Fatal(err)
		}
	}
}

// absent, as the content of a file newMachine writes, leaves it out.
const absent = "\x00absent"

// inventoryOnly is the files of a host that has the shared inventory inv
// and no routes.yaml, and more (path in the machine: content) beside.
func inventoryOnly(inv string, more map[string]string) map[string]string {
	files := map[string]string{
		"/etc/podroutes/routes.yaml": absent,
		"/etc/podroutes/inventory":   inv,
	}
	for p, c := range more {
		files[p] = c
	}
	return files
}

// logJournal logs the journal of this boot's units under test, if the test
// has failed and m is booted. shutdown calls it and newMachineIn registers
// it as a cleanup, so a case that fails, by t.Fatal too, needs nothing more.
func logJournal(t *testing.T, m *Machine) {
	if t.Failed() && m.leader != 0 {
		journal, _ := m.Exec(context.Background(), "journalctl", "-b", "--no-pager", "-o", "short-monotonic",
			"-u", "podroutes.service", "-u", "podroutes-watch.service", "-u", "probe.service", "-u", "systemd-networkd.service")
		t.Logf("journal:\n%s", journal)
	}
}

// boot boots m in lab and waits until startup has finished.
func boot(ctx context.Context, t *testing.T, lab *Lab, m *Machine) {
	t.Helper()
	start := time.Now()
	if err := m.Boot(ctx, lab.Host); err != nil {
		t.Fatal(err)
	}
	waitStarted(ctx, t, m)
	t.Logf("booted in %v", time.Since(start).Round(time.Millisecond))
}

func waitStarted(ctx context.Context, t *testing.T, m *Machine) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	state, err := m.Exec(wctx, "systemctl", "is-system-running", "--wait")
	if state = strings.TrimSpace(state); state != "running" {
		failed, _ := m.Exec(ctx, "systemctl", "--failed", "--no-legend", "--plain")
		args := []string{"journalctl", "-b", "--no-pager", "-o", "short-monotonic"}
		for _, l := range lines(failed) {
			args = append(args, "-u", strings.Fields(l)[0])
		}
		journal, _ := m.Exec(ctx, args...)
		t.Errorf("system %q (%v); failed units: %s\ntheir journal:\n%s", state, err, failed, journal)
	}
}

func shutdown(ctx context.Context, t *testing.T, m *Machine) {
	t.Helper()
	logJournal(t, m)
	start := time.Now()
	if err := m.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	t.Logf("powered off in %v", time.Since(start).Round(time.Millisecond))
}

// unit returns systemctl show properties of a unit.
func unit(ctx context.Context, t *testing.T, m *Machine, name string) map[string]string {
	t.Helper()
	out, err := m.Exec(ctx, "systemctl", "show", name, "-p", "ActiveState,SubState,Result,StatusText,NRestarts,"+
		"ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,UnitFileState,MainPID")
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, l := range lines(out) {
		k, v, _ := strings.Cut(l, "=")
		props[k] = v
	}
	return props
}

// statusRE matches the status line of a run that left routes in place
// and added `added` of them; added -1: the lab's one route, added by apply
// or by networkd, whoever came first.
var statusRE = func(routes, added int) *regexp.Regexp {
	n := strconv.Itoa(added)
	if added < 0 {
		n = "[01]" // whoever came first, networkd or apply
	}
	return regexp.MustCompile(fmt.Sprintf(`^%d routes? in place: %s added, 0 replaced, 0 pruned$`, routes, n))
}

// wantActive checks podroutes.service is active (exited) with the status
// line of a run that added `added` routes of the lab's one.
func wantActive(ctx context.Context, t *testing.T, m *Machine, added int) {
	t.Helper()
	wantActiveRoutes(ctx, t, m, 1, added)
}

// wantActiveRoutes is wantActive for a run that left routes in place.
func wantActiveRoutes(ctx context.Context, t *testing.T, m *Machine, routes, added int) {
	t.Helper()
	u := unit(ctx, t, m, "podroutes.service")
	if u["ActiveState"] != "active" || u["SubState"] != "exited" || u["Result"] != "success" {
		t.Errorf("podroutes.service: %s/%s result %s, want active/exited result success", u["ActiveState"], u["SubState"], u["Result"])
	}
	if re := statusRE(routes, added); !re.MatchString(u["StatusText"]) {
		t.Errorf("podroutes.service status %q, want %q", u["StatusText"], re)
	}
}

// wantRoutesNow checks the lab host's protocol 157 routes are exactly want.
func wantRoutesNow(ctx context.Context, t *testing.T, lab *Lab, what string, want []string) {
	t.Helper()
	got, err := lab.Routes(ctx, protocol)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: kernel routes proto %d = %q, want %q", what, protocol, got, want)
	}
}

// waitRoutes polls until the routes are want or timeout passes.
func waitRoutes(ctx context.Context, lab *Lab, want []string, timeout time.Duration) bool {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if got, err := lab.Routes(ctx, protocol); err == nil && slices.Equal(got, want) {
			return true
		}
	}
	return false
}

// wantProbeSaw checks the routes the unit ordered after podroutes.service
// recorded when it started.
func wantProbeSaw(t *testing.T, m *Machine, want []string) {
	t.Helper()
	b, err := os.ReadFile(m.InRoot("/run/probe.routes"))
	if err != nil {
		t.Errorf("probe.service (After=podroutes.service) recorded nothing: %v", err)
	} else if got := lines(string(b)); !slices.Equal(got, want) {
		t.Errorf("probe.service (After=podroutes.service) saw routes %q, want %q", got, want)
	}
}

// exposure returns `systemd-analyze security`'s overall exposure of a unit
// in the booted machine.
func exposure(ctx context.Context, t *testing.T, m *Machine, unit string) float64 {
	t.Helper()
	out := mustExec(ctx, t, m, "systemd-analyze", "security", "--no-pager", unit)
	re := regexp.MustCompile(`Overall exposure level for ` + regexp.QuoteMeta(unit) + `: ([0-9.]+)`)
	match := re.FindStringSubmatch(out)
	if match == nil {
		t.Fatalf("systemd-analyze security %s: no overall exposure in:\n%s", unit, out)
	}
	score, err := strconv.ParseFloat(match[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return score
}

// waitJournal polls the unit's journal of this boot for text until timeout.
func waitJournal(ctx context.Context, m *Machine, unit, text string, timeout time.Duration) bool {
	n, _ := journalHolds(ctx, m, unit, text, 1, timeout)
	return n >= 1
}

// journalHolds polls the unit's journal of this boot until it holds text
// n times or more, or timeout passes; it returns how many times it does
// and the journal.
func journalHolds(ctx context.Context, m *Machine, unit, text string, n int, timeout time.Duration) (int, string) {
	var got int
	var out string
	for end := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		if o, err := m.Exec(ctx, "journalctl", "-b", "--no-pager", "-o", "cat", "-u", unit); err == nil {
			out, got = o, strings.Count(o, text)
		}
		if got >= n || !time.Now().Before(end) {
			return got, out
		}
	}
}

func mustExec(ctx context.Context, t *testing.T, m *Machine, args ...string) string {
	t.Helper()
	out, err := m.Exec(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
