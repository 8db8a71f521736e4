package gen

import (
	"io"
	"iter"
	"slices"
	"testing"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/synth"
)

func planAll(b *testing.B, data []byte, only []string) iter.Seq[plan.Node] {
	inv, err := inventory.Parse("machines.txt", data, inventory.FormatMachines)
	if err != nil {
		b.Fatal(err)
	}
	nodes, err := plan.Stream(inv, plan.Options{Only: only, NetworkFile: DefaultNetworkFile})
	if err != nil {
		b.Fatal(err)
	}
	return nodes
}

// BenchmarkGenPlan1000 parses and plans a 1000-host inventory (999,000
// routes): the part of gen that is not writing files.
func BenchmarkGenPlan1000(b *testing.B) {
	data := synth.Machines(1000, false)
	for b.Loop() {
		for range planAll(b, data, nil) {
		}
	}
}

// BenchmarkGenRender1000 renders every file of a 1000-host plan to
// io.Discard: the cost of formatting, without the file system.
func BenchmarkGenRender1000(b *testing.B) {
	nodes := slices.Collect(planAll(b, synth.Machines(1000, false), nil))
	for b.Loop() {
		if err := PrintTrees(io.Discard, slices.Values(nodes), "machines.txt"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenWrite1000 is the whole of `podroutes gen --out` on a 1000-host
// inventory: parse, plan, render and write 2000 files, all or nothing.
func BenchmarkGenWrite1000(b *testing.B) {
	data := synth.Machines(1000, false)
	dir := b.TempDir()
	for b.Loop() {
		if err := WriteTrees(dir, planAll(b, data, nil), "machines.txt"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenNode5000 is `podroutes gen --node` on a 5000-host inventory:
// parse and validate everything, plan one host.
func BenchmarkGenNode5000(b *testing.B) {
	data := synth.Machines(5000, false)
	for b.Loop() {
		if err := PrintIP(io.Discard, planAll(b, data, []string{"node-4999"})); err != nil {
			b.Fatal(err)
		}
	}
}
