package networkd

import (
	"path/filepath"
	"testing"

	"github.com/podroutes/podroutes/internal/golden"
)

// TestRenderGolden: the drop-in of a config with an IPv4, an onlink and
// an IPv6 route, byte for byte (gen's golden trees hold it for whole
// inventories).
func TestRenderGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "golden", "node-0.conf"), []byte(dropIn(t, node0)))
}

// TestDropInPaths: the drop-in goes in the .network file's .d/, in a
// directory of .network files and in gen's tree under etc/.
func TestDropInPaths(t *testing.T) {
	if got, want := DropInRel(netFile), "10-netplan-eth0.network.d/50-podroutes.conf"; got != want {
		t.Errorf("DropInRel: %q, want %q", got, want)
	}
	if got, want := DropInPath(netFile), "etc/systemd/network/10-netplan-eth0.network.d/50-podroutes.conf"; got != want {
		t.Errorf("DropInPath: %q, want %q", got, want)
	}
}
