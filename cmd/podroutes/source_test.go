package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/networkd"
)

// TestKernelOptionsFollowNetworkd: routes are written inline (as networkd
// writes them) with --networkd-dropin, or when a podroutes drop-in is in
// one of networkd's directories; otherwise through nexthop objects. Other
// drop-ins of the .network file change nothing.
func TestKernelOptionsFollowNetworkd(t *testing.T) {
	etc, run := t.TempDir(), t.TempDir()
	defer func(dirs []string) { networkd.Dirs = dirs }(networkd.Dirs)
	networkd.Dirs = []string{etc, run}
	inline := func(o sourceOptions) (bool, string) {
		ko, why := o.kernelOptions()
		return ko.Inline, why
	}

	filetest.Write(t, filepath.Join(etc, "10-eth0.network.d", "10-mtu.conf"), "[Link]\nMTUBytes=9000\n", 0o644)
	if on, why := inline(sourceOptions{}); on || why != "" {
		t.Errorf("no podroutes drop-in: inline %v (%q), want nexthop objects", on, why)
	}
	if on, why := inline(sourceOptions{dropIns: "/run/systemd/network"}); !on || !strings.Contains(why, "--networkd-dropin") {
		t.Errorf("--networkd-dropin: inline %v (%q), want inline, naming the flag", on, why)
	}
	dropIn := filetest.Write(t, filepath.Join(run, "10-eth0.network.d", networkd.DropInName), "[Route]\n", 0o644)
	if on, why := inline(sourceOptions{}); !on || !strings.Contains(why, dropIn) {
		t.Errorf("with %s: inline %v (%q), want inline, naming the drop-in", dropIn, on, why)
	}
}

// TestDropInNote: --networkd-dropin with the routes from this host's
// routes.yaml (the default source: networkd.conf, the same on every host,
// passes the flag) is not refused, but writes no drop-in and says so;
// from an inventory it writes one, and there is nothing to say.
func TestDropInNote(t *testing.T) {
	dir := "/run/systemd/network"
	want := "--networkd-dropin: the routes come from " + config.DefaultPath +
		", whose drop-in is gen's (in /etc/systemd/network): none written into /run/systemd/network"
	if got := dropInNote(dir, config.DefaultPath, true); got != want {
		t.Errorf("from routes.yaml: %q, want %q", got, want)
	}
	if got := dropInNote(dir, "/etc/podroutes/inventory", false); got != "" {
		t.Errorf("from an inventory: %q, want none", got)
	}
	if got := dropInNote("", config.DefaultPath, true); got != "" {
		t.Errorf("without --networkd-dropin: %q, want none", got)
	}
}
