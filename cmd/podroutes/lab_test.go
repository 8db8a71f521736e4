package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLabScript runs examples/lab.sh, the network half of `make demo`: the
// lab's three machines in namespaces, every one given the same
// examples/machines.txt, each finding itself in it by address and applying
// its routes (the real binary), pods pinging across nodes.
func TestLabScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root for network namespaces")
	}
	if _, err := exec.LookPath("ping"); err != nil {
		t.Skip("ping is not installed (make test installs iputils-ping)")
	}
	cmd := exec.Command("../../examples/lab.sh", podroutesBin, lab)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lab.sh: %v\n%s", err, output)
	}
	for _, want := range []string{
		"PASS pod-0 -> pod-1 (10.200.1.2)",
		"PASS pod-1 -> pod-0 (10.200.0.2)",
		"PASS server -> pod-0 (10.200.0.2)",
		"PASS server -> pod-1 (10.200.1.2)",
		"in place  10.200.1.0/24 via 10.240.0.21",
		"== node-0: " + podroutesBin + " apply --inventory",
	} {
		if !strings.Contains(string(output), want) {
			t.Errorf("lab.sh output lacks %q:\n%s", want, output)
		}
	}
}

// TestSegmentsLabScript runs examples/lab-segments.sh, the second half of
// `make demo`: the lab's machines on two networks joined by a router, one
// inventory with offLink: vxlan (the real binary on every host): every pod
// reached from every host, direct on a host's own network and through the
// tunnel across, a don't-fragment packet of the tunnel's MTU across, and
// remove leaving nothing of podroutes'.
func TestSegmentsLabScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root for network namespaces")
	}
	cmd := exec.Command("../../examples/lab-segments.sh", podroutesBin, "../../examples/segments.yaml")
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lab-segments.sh: %v\n%s", err, output)
	}
	for _, want := range []string{
		"PASS pod-0 -> pod-1 (10.200.1.2, node-0 sends it by podroutes-vx)",
		"PASS pod-1 -> pod-2 (10.200.2.2, node-1 sends it by eth0)",
		"PASS server -> pod-0 (10.200.0.2, server sends it by eth0)",
		"PASS server -> pod-2 (10.200.2.2, server sends it by podroutes-vx)",
		"PASS pod-0 -> pod-1 (10.200.1.2), 1450 bytes, don't fragment",
		"tunnel in place  podroutes-vx vxlan id 157 dstport 4789 local 10.240.0.20 mtu 1450",
		"PASS remove left no podroutes device or route on any host",
		"== all probes passed",
	} {
		if !strings.Contains(string(output), want) {
			t.Errorf("lab-segments.sh output lacks %q:\n%s", want, output)
		}
	}
}
