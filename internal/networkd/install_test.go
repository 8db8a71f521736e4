package networkd

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/filetest"
)

// netFile is the .network file the drop-ins of these tests extend.
const netFile = "10-netplan-eth0.network"

// host is a config and the .network file its drop-in extends.
type host struct {
	Config      config.Config
	NetworkFile string
}

// TestInstallDropIn: the drop-in goes into the directory as gen's tree
// has it, atomically, and is rewritten only when its content changes.
func TestInstallDropIn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run/systemd/network")
	defer syscall.Umask(syscall.Umask(0o077)) // podroutes.service's
	n := host{node0, netFile}
	for i, want := range []bool{true, false} {
		wrote, removed, err := Install(dir, n.Config, n.NetworkFile, "lab-machines.txt")
		if err != nil || wrote != want || removed != nil {
			t.Fatalf("install %d: wrote %v, removed %q, %v; want %v, none removed", i, wrote, removed, err, want)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf"))
	if err != nil || !strings.Contains(string(got), "Protocol=157") {
		t.Fatalf("drop-in: %v\n%s", err, got)
	}
	n.Config.Routes = nil
	if wrote, _, err := Install(dir, n.Config, n.NetworkFile, "lab-machines.txt"); err != nil || !wrote {
		t.Errorf("after a change: wrote %v, %v; want true", wrote, err)
	}
	// The inventory names another .network file: the drop-in moves there.
	moved := n
	moved.NetworkFile = "20-eth1.network"
	old := filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf")
	if wrote, removed, err := Install(dir, moved.Config, moved.NetworkFile, "lab-machines.txt"); err != nil || !wrote || !slices.Equal(removed, []string{old}) {
		t.Errorf("for another .network file: wrote %v, removed %q, %v; want true, the old one removed", wrote, removed, err)
	}
	if got := DropIns(dir); !slices.Equal(got, []string{filepath.Join(dir, "20-eth1.network.d", "50-podroutes.conf")}) {
		t.Errorf("drop-ins %q, want only the one for 20-eth1.network", got)
	}
	if _, _, err := Install(dir, n.Config, n.NetworkFile, "lab-machines.txt"); err != nil { // and back, for the checks below
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, n.NetworkFile+".d", ".podroutes-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// networkd runs as its own user: it must be able to read them all.
	for p, need := range map[string]os.FileMode{
		dir: 0o005, filepath.Join(dir, n.NetworkFile+".d"): 0o005, filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf"): 0o004,
	} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&need != need {
			t.Errorf("%s: %v, %v: others cannot read it", p, err, fi.Mode())
		}
	}
}

// TestNoDropInWithVXLAN: a config that sends off-link peers through the
// tunnel has no drop-in: Install writes none and removes the one an
// earlier config had; Drift calls each of its routes drift.
func TestNoDropInWithVXLAN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run/systemd/network")
	n := host{node0, netFile}
	if _, _, err := Install(dir, n.Config, n.NetworkFile, "lab-machines.txt"); err != nil {
		t.Fatal(err)
	}
	old := DropIns(dir)
	data, err := os.ReadFile(old[0])
	if err != nil {
		t.Fatal(err)
	}
	n.Config.OffLink = config.OffLinkVXLAN
	if drift, err := Drift(data, n.Config); err != nil || len(drift) != len(n.Config.Routes) || !strings.Contains(drift[0], "which the config does not want") {
		t.Errorf("drift of a drop-in beside offLink vxlan: %q, %v", drift, err)
	}
	wrote, removed, err := Install(dir, n.Config, n.NetworkFile, "lab-machines.txt")
	if err != nil || wrote || !slices.Equal(removed, old) || len(DropIns(dir)) != 0 {
		t.Errorf("install with offLink vxlan: wrote %v, removed %q (want %q), %v; left %q", wrote, removed, old, err, DropIns(dir))
	}
}

// TestRemoveDropIns: the drop-ins InstallDropIn wrote, for any .network
// file, go, and each .d directory they leave empty; an admin's own
// drop-in, and its directory, stay.
func TestRemoveDropIns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run/systemd/network")
	n, moved := host{node0, netFile}, host{node0, netFile}
	moved.NetworkFile = "20-eth1.network" // the inventory named another file since
	for _, n := range []host{n, moved} {  // gen's way: each its own tree
		path := filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf")
		filetest.Write(t, path, "[Route]\n", 0o644)
	}
	own := filepath.Join(dir, "20-eth1.network.d", "60-mtu.conf")
	filetest.Write(t, own, "[Link]\nMTUBytes=9000\n", 0o644)

	removed, err := Remove(dir)
	want := []string{filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf"), filepath.Join(dir, "20-eth1.network.d", "50-podroutes.conf")}
	slices.Sort(want)
	if err != nil || !slices.Equal(removed, want) {
		t.Errorf("removed %q, %v; want %q", removed, err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, n.NetworkFile+".d")); !os.IsNotExist(err) {
		t.Errorf("the emptied %s.d is still there: %v", n.NetworkFile, err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("the admin's drop-in is gone: %v", err)
	}
	if removed, err := Remove(dir); err != nil || len(removed) != 0 {
		t.Errorf("again: removed %q, %v; want nothing", removed, err)
	}
}

// TestDropInsPathNotPattern: a directory whose name has glob
// metacharacters is a path: InstallDropIn finds and deletes the drop-in
// for the .network file named before, DropIns lists the one there, and
// RemoveDropIns deletes it.
func TestDropInsPathNotPattern(t *testing.T) {
	n := host{node0, netFile}
	moved := n
	moved.NetworkFile = "20-eth1.network"
	for _, name := range []string{"nd[x]", "nd*", "nd?", `nd\`} {
		dir := filepath.Join(t.TempDir(), name)
		old := filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf")
		mine := filepath.Join(dir, "20-eth1.network.d", "50-podroutes.conf")
		if _, _, err := Install(dir, n.Config, n.NetworkFile, "lab-machines.txt"); err != nil {
			t.Fatal(err)
		}
		if _, removed, err := Install(dir, moved.Config, moved.NetworkFile, "lab-machines.txt"); err != nil || !slices.Equal(removed, []string{old}) {
			t.Errorf("%s: moved: removed %q, %v; want %q", name, removed, err, old)
		}
		if got := DropIns(dir); !slices.Equal(got, []string{mine}) {
			t.Errorf("%s: drop-ins %q, want %q", name, got, mine)
		}
		if removed, err := Remove(dir); err != nil || !slices.Equal(removed, []string{mine}) {
			t.Errorf("%s: RemoveDropIns removed %q, %v; want %q", name, removed, err, mine)
		}
		if _, err := os.Stat(mine); !os.IsNotExist(err) {
			t.Errorf("%s: %s is still there: %v", name, mine, err)
		}
	}
}
