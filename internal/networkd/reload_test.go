package networkd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/logtest"
)

// TestUpdateReloads: Update has networkd reload only when it wrote or
// removed a drop-in, and says which in the line; a reload that fails is a
// warning, and the drop-in is written all the same.
func TestUpdateReloads(t *testing.T) {
	defer func(cmd []string) { reloadCommand = cmd }(reloadCommand)
	dir := t.TempDir()
	mine := filepath.Join(dir, DropInRel(netFile))
	stale := filetest.Write(t, filepath.Join(dir, DropInRel("20-eth1.network")), "[Route]\n", 0o644)

	reloadCommand = []string{"true"}
	log := new(logtest.Lines)
	Update(log, dir, node0, netFile, "machines.txt")
	if want := "wrote " + mine + "; removed " + stale + " and reloaded systemd-networkd"; log.String() != want {
		t.Errorf("first update logged %q, want %q", log.String(), want)
	}
	log = new(logtest.Lines)
	Update(log, dir, node0, netFile, "machines.txt")
	if log.String() != "" {
		t.Errorf("an update that changes nothing logged %q, want nothing (no reload)", log.String())
	}

	reloadCommand = []string{"false"}
	changed := node0
	changed.Metric++
	log = new(logtest.Lines)
	Update(log, dir, changed, netFile, "machines.txt")
	if got := log.String(); !strings.HasPrefix(got, "warning: wrote "+mine+", but networkctl reload failed (is systemd-networkd running?): exit status 1") {
		t.Errorf("a failed reload logged %q, want a warning naming the drop-in written", got)
	}
	if drift, err := Drift(filetest.Read(t, mine), changed); err != nil || drift != nil {
		t.Errorf("after a failed reload, the drop-in drifts: %q, %v", drift, err)
	}
}

// TestUninstallReloads: Uninstall has networkd reload after it removed a
// drop-in, naming it, and not when there was none.
func TestUninstallReloads(t *testing.T) {
	defer func(cmd []string) { reloadCommand = cmd }(reloadCommand)
	reloadCommand = []string{"true"}
	dir := t.TempDir()
	mine := filetest.Write(t, filepath.Join(dir, DropInRel(netFile)), "[Route]\n", 0o644)
	log := new(logtest.Lines)
	if err := Uninstall(log, dir); err != nil || log.String() != "removed "+mine+" and reloaded systemd-networkd" {
		t.Errorf("uninstall: %v, logged %q", err, log.String())
	}
	log = new(logtest.Lines)
	if err := Uninstall(log, dir); err != nil || log.String() != "" {
		t.Errorf("again: %v, logged %q, want nothing (no reload)", err, log.String())
	}
}
