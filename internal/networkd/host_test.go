package networkd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/filetest"
)

// TestInline: routes are written inline (as networkd
// writes them) with --networkd-dropin, or when a podroutes drop-in is in
// one of networkd's directories; otherwise through nexthop objects. Other
// drop-ins of the .network file change nothing.
func TestInline(t *testing.T) {
	etc, run := t.TempDir(), t.TempDir()
	defer func(dirs []string) { Dirs = dirs }(Dirs)
	Dirs = []string{etc, run}

	filetest.Write(t, filepath.Join(etc, "10-eth0.network.d", "10-mtu.conf"), "[Link]\nMTUBytes=9000\n", 0o644)
	if on, why := Inline(""); on || why != "" {
		t.Errorf("no podroutes drop-in: inline %v (%q), want nexthop objects", on, why)
	}
	if on, why := Inline("/run/systemd/network"); !on || !strings.Contains(why, "--networkd-dropin") {
		t.Errorf("--networkd-dropin: inline %v (%q), want inline, naming the flag", on, why)
	}
	dropIn := filetest.Write(t, filepath.Join(run, "10-eth0.network.d", DropInName), "[Route]\n", 0o644)
	if on, why := Inline(""); !on || !strings.Contains(why, dropIn) {
		t.Errorf("with %s: inline %v (%q), want inline, naming the drop-in", dropIn, on, why)
	}
}

// TestNoneWritten: --networkd-dropin with the routes from this host's
// routes.yaml (the default source: networkd.conf, the same on every host,
// passes the flag) is not refused, but writes no drop-in and says so;
// from an inventory it writes one, and there is nothing to say.
func TestNoneWritten(t *testing.T) {
	dir := "/run/systemd/network"
	want := "--networkd-dropin: the routes come from " + config.DefaultPath +
		", whose drop-in is gen's (in /etc/systemd/network): none written into /run/systemd/network"
	if got := NoneWritten(dir, config.DefaultPath, true); got != want {
		t.Errorf("from routes.yaml: %q, want %q", got, want)
	}
	if got := NoneWritten(dir, "/etc/podroutes/inventory", false); got != "" {
		t.Errorf("from an inventory: %q, want none", got)
	}
	if got := NoneWritten("", config.DefaultPath, true); got != "" {
		t.Errorf("without --networkd-dropin: %q, want none", got)
	}
}
