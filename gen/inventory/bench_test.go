package inventory

import (
	"fmt"
	"testing"

	"github.com/podroutes/podroutes/internal/synth"
)

// bigKubectl returns a List of n Nodes.
func bigKubectl(n int) []byte {
	nodes := make([]string, n)
	for i := range nodes {
		nodes[i] = kubeNodeJSON(fmt.Sprintf("node-%d", i), internalIP(fmt.Sprintf("10.240.%d.%d", i/250, i%250+1)),
			fmt.Sprintf(`"podCIDR": "10.%d.%d.0/24"`, 200+i/256, i%256))
	}
	return []byte(kubeList(nodes...))
}

func TestBigInventories(t *testing.T) {
	for name, data := range map[string][]byte{"machines": synth.Machines(5000, true), "kubectl": bigKubectl(5000)} {
		inv, err := Parse(name, data, FormatAuto)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(inv.Hosts) != 5000 {
			t.Errorf("%s: %d hosts, want 5000", name, len(inv.Hosts))
		}
	}
}

func benchmarkParse(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("bench", data, FormatAuto); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMachines5000(b *testing.B) { benchmarkParse(b, synth.Machines(5000, true)) }
func BenchmarkParseKubectl5000(b *testing.B)  { benchmarkParse(b, bigKubectl(5000)) }

// BenchmarkAdmit5000 is what each change to a 5000-Node cluster costs
// `watch --kubeconfig` before planning: every Node converted and checked.
func BenchmarkAdmit5000(b *testing.B) {
	nodes := make([]Node, 5000)
	for i := range nodes {
		nodes[i] = kn(fmt.Sprintf("node-%d", i), i%60, fmt.Sprintf("10.240.%d.%d", i/250, i%250+1), fmt.Sprintf("10.%d.%d.0/24", 200+i/256, i%256))
	}
	for b.Loop() {
		if inv, probs := Admit("bench", nodes); len(inv.Hosts) != 5000 || len(probs) > 0 {
			b.Fatalf("%d hosts, problems %v", len(inv.Hosts), probs)
		}
	}
}
