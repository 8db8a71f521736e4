package main

import (
	"encoding/json"
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

// TestDropInDriftJSON: check --output json says each way a drop-in
// disagrees with the config (networkd's TestFindDrift) in a line of its
// own, docs/check.md's {"dropInDrift": "..."}.
func TestDropInDriftJSON(t *testing.T) {
	old, bad := "/etc/systemd/network/10-eth0.network.d/"+networkd.DropInName, "/etc/systemd/network/20-br0.network.d/"+networkd.DropInName
	want := []string{
		old + ": has 10.200.1.0/24 via 10.240.0.31 proto podroutes metric 100, which the config does not want: networkd would add it",
		old + ": lacks 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100: networkd would drop it",
		bad + ": line 2: Metric=-1: want a number from 0 to 4294967295",
	}
	var out strings.Builder
	if err := writeDropInDrift(&out, want); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for i, l := range lines {
		var d struct{ DropInDrift string }
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil || i >= len(want) || d.DropInDrift != want[i] || !strings.HasPrefix(l, `{"dropInDrift":`) {
			t.Errorf("JSON line %d: %s (%v); want {\"dropInDrift\": %q}", i, l, err, want[min(i, len(want)-1)])
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d JSON lines, want %d", len(lines), len(want))
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
