package reconcile

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDropInDriftJSON: check --output json says each way a drop-in
// disagrees with the config (internal/networkd's TestFindDrift) in a line of its
// own, docs/check.md's {"dropInDrift": "..."}.
func TestDropInDriftJSON(t *testing.T) {
	old, bad := "/etc/systemd/network/10-eth0.network.d/50-podroutes.conf", "/etc/systemd/network/20-br0.network.d/50-podroutes.conf"
	want := []string{
		old + ": has 10.200.1.0/24 via 10.240.0.31 proto podroutes metric 100, which the config does not want: networkd would add it",
		old + ": lacks 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100: networkd would drop it",
		bad + ": line 2: Metric=-1: want a number from 0 to 4294967295",
	}
	var out strings.Builder
	if err := WriteDropInDrift(&out, want); err != nil {
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

// TestWriteUnknown: check that could not tell prints one line, docs/check.md's
// {"unknown": "why"}.
func TestWriteUnknown(t *testing.T) {
	var out strings.Builder
	if err := WriteUnknown(&out, `listing Nodes: "x" refused`); err != nil {
		t.Fatal(err)
	}
	if want := `{"unknown":"listing Nodes: \"x\" refused"}` + "\n"; out.String() != want {
		t.Errorf("WriteUnknown wrote %q, want %q", out.String(), want)
	}
}
