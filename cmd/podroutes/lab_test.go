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
