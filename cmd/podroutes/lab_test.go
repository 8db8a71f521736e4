package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/nstest"
)

// TestLabScript runs examples/lab.sh, the network half of `make demo`: the
// lab's three machines in namespaces, every one given the same
// examples/machines.txt, each finding itself in it by address and applying
// its routes (the real binary), pods pinging across nodes.
func TestLabScript(t *testing.T) {
	nstest.RequireRoot(t)
	nstest.Tool(t, "ping", "iputils-ping")
	runLab(t, "lab.sh", lab,
		"PASS pod-0 -> pod-1 (10.200.1.2)",
		"PASS pod-1 -> pod-0 (10.200.0.2)",
		"PASS server -> pod-0 (10.200.0.2)",
		"PASS server -> pod-1 (10.200.1.2)",
		"in place  10.200.1.0/24 via 10.240.0.21",
		"== node-0: "+podroutesBin+" apply --inventory",
	)
}

// TestSegmentsLabScript runs examples/lab-segments.sh, the second half of
// `make demo`: the lab's machines on two networks joined by a router, one
// inventory with offLink: vxlan (the real binary on every host): every pod
// reached from every host, direct on a host's own network and through the
// tunnel across, a don't-fragment packet of the tunnel's MTU across, and
// remove leaving nothing of podroutes'.
func TestSegmentsLabScript(t *testing.T) {
	nstest.RequireRoot(t)
	runLab(t, "lab-segments.sh", "../../examples/segments.yaml",
		"PASS pod-0 -> pod-1 (10.200.1.2, node-0 sends it by podroutes-vx)",
		"PASS pod-1 -> pod-2 (10.200.2.2, node-1 sends it by eth0)",
		"PASS server -> pod-0 (10.200.0.2, server sends it by eth0)",
		"PASS server -> pod-2 (10.200.2.2, server sends it by podroutes-vx)",
		"PASS pod-0 -> pod-1 (10.200.1.2), 1450 bytes, don't fragment",
		"tunnel in place  podroutes-vx vxlan id 157 dstport 4789 local 10.240.0.20 mtu 1450",
		"PASS remove left no podroutes device or route on any host",
		"== all probes passed",
	)
}

// runLab runs the lab script examples/script with the podroutes binary and
// inventory, and fails the test unless its output has each of want.
func runLab(t *testing.T, script, inventory string, want ...string) {
	t.Helper()
	output, err := exec.Command("../../examples/"+script, podroutesBin, inventory).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, output)
	}
	for _, w := range want {
		if !strings.Contains(string(output), w) {
			t.Errorf("%s output lacks %q:\n%s", script, w, output)
		}
	}
}
