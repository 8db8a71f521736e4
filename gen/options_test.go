package gen

import (
	"strings"
	"testing"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/config"
)

// TestOptionsRefused: each flag gen refuses is refused before the
// inventory is read (Check), naming the flag; --format ip with off-link
// peers through VXLAN only once the inventory says so (Plan).
func TestOptionsRefused(t *testing.T) {
	ok := Options{Format: "tree", NetworkFile: DefaultNetworkFile}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Format: "yaml", NetworkFile: DefaultNetworkFile}, "unknown --format"},
		{Options{Format: "ip", Out: "/tmp/x", NetworkFile: DefaultNetworkFile}, "cannot be used with --out"},
		{Options{Format: "tree", NetworkFile: "eth0"}, "--network-file: "},
		{Options{Format: "tree", NetworkFile: DefaultNetworkFile, OffLink: "gre"}, "--off-link: "},
	} {
		if err := tc.o.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Check() = %v, want %q", tc.o, err, tc.want)
		}
	}
	if err := ok.Check(); err != nil {
		t.Errorf("%+v: Check() = %v", ok, err)
	}
	ip := Options{Format: "ip", NetworkFile: DefaultNetworkFile}
	if _, err := ip.Plan(inventory.Inventory{OffLink: config.OffLinkVXLAN}); err == nil || !strings.Contains(err.Error(), "direct routes only") {
		t.Errorf("--format ip, an inventory with off-link peers through VXLAN: %v, want refused", err)
	}
}
