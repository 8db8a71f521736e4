package synth

import (
	"strings"
	"testing"
)

func TestMachines(t *testing.T) {
	plain := string(Machines(3, false))
	want := "10.240.0.10 server.kubernetes.local server\n" +
		"10.240.0.21 node-1.kubernetes.local node-1 10.200.1.0/24\n" +
		"10.240.0.22 node-2.kubernetes.local node-2 10.200.2.0/24\n"
	if plain != want {
		t.Errorf("plain:\n%s\nwant:\n%s", plain, want)
	}
	aligned := string(Machines(3, true))
	if !strings.HasPrefix(aligned, "# machines.txt\n10.240.0.10    server.kubernetes.local") || strings.Count(aligned, "# rack 0") != 3 {
		t.Errorf("aligned:\n%s", aligned)
	}
}
