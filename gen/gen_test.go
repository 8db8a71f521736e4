package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/golden"
)

// loadPlan parses testdata/name and plans every host.
func loadPlan(t testing.TB, name string, only ...string) []plan.Node {
	t.Helper()
	data := filetest.Read(t, filepath.Join("testdata", name))
	inv, err := inventory.Parse(name, data, inventory.FormatAuto)
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	if len(only) == 0 {
		only = nil
	}
	nodes, err := plan.Stream(inv, plan.Options{Only: only, NetworkFile: DefaultNetworkFile})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Collect(nodes)
}

// inputs are the inventories under testdata with golden outputs.
var inputs = []string{
	"lab-machines.txt", // the lab's three machines: aligned columns, comments, CRLF, BOM
	"dualstack-machines.txt",
	"cluster.yaml",       // YAML inventory: uplinks, network files, metrics, extra subnets
	"kubectl-nodes.json", // kubectl get nodes -o json
}

func TestGolden(t *testing.T) {
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			nodes := loadPlan(t, in)
			var tree, ip bytes.Buffer
			if err := PrintTrees(&tree, slices.Values(nodes), in); err != nil {
				t.Fatal(err)
			}
			if err := PrintIP(&ip, slices.Values(nodes)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", in+".tree"), tree.Bytes())
			golden.Check(t, filepath.Join("testdata", "golden", in+".ip"), ip.Bytes())
			// Byte-identical across runs.
			var again bytes.Buffer
			if err := PrintTrees(&again, slices.Values(loadPlan(t, in)), in); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tree.Bytes(), again.Bytes()) {
				t.Error("a second run printed different output")
			}
		})
	}
}

// TestLabRoutes pins the lab's routes: the server and each node reach the
// other nodes' pods; nothing routes to the server or to a node's own pods.
func TestLabRoutes(t *testing.T) {
	var ip bytes.Buffer
	if err := PrintIP(&ip, slices.Values(loadPlan(t, "lab-machines.txt"))); err != nil {
		t.Fatal(err)
	}
	want := `# server
ip route replace 10.200.0.0/24 via 10.240.0.20 proto 157 metric 100
ip route replace 10.200.1.0/24 via 10.240.0.21 proto 157 metric 100
# node-0
ip route replace 10.200.1.0/24 via 10.240.0.21 proto 157 metric 100
# node-1
ip route replace 10.200.0.0/24 via 10.240.0.20 proto 157 metric 100
`
	if ip.String() != want {
		t.Errorf("got\n%s\nwant\n%s", ip.String(), want)
	}
}

// TestNodeSelection: --node limits the output to the named hosts.
func TestNodeSelection(t *testing.T) {
	var ip bytes.Buffer
	if err := PrintIP(&ip, slices.Values(loadPlan(t, "lab-machines.txt", "node-1"))); err != nil {
		t.Fatal(err)
	}
	if got := ip.String(); !strings.HasPrefix(got, "# node-1\n") || strings.Count(got, "#") != 1 {
		t.Errorf("--node node-1 printed\n%s", got)
	}
}

// TestWriteTreesMatchesPrint: the files written are the files printed, and
// nothing else is written.
func TestWriteTreesMatchesPrint(t *testing.T) {
	for _, in := range inputs {
		nodes := loadPlan(t, in)
		dir := t.TempDir()
		if err := WriteTrees(dir, slices.Values(nodes), in); err != nil {
			t.Fatal(err)
		}
		var printed, written bytes.Buffer
		if err := PrintTrees(&printed, slices.Values(nodes), in); err != nil {
			t.Fatal(err)
		}
		files := 0
		for i, n := range nodes {
			for j, f := range hostFiles(n, in) {
				if i+j > 0 {
					written.WriteString("\n")
				}
				data := filetest.Read(t, filepath.Join(dir, n.Config.Node, f.rel))
				written.WriteString("==> " + n.Config.Node + "/" + f.rel + " <==\n")
				written.Write(data)
				files++
			}
		}
		if written.String() != printed.String() {
			t.Errorf("%s: written trees differ from printed ones", in)
		}
		if got := countFiles(t, dir); got != files {
			t.Errorf("%s: %d files under the output directory, want %d", in, got, files)
		}
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
