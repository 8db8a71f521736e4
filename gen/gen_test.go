package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

// TestInstallDropIn: the drop-in goes into the directory as gen's tree
// has it, atomically, and is rewritten only when its content changes.
func TestInstallDropIn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run/systemd/network")
	defer syscall.Umask(syscall.Umask(0o077)) // podroutes.service's
	nodes := loadPlan(t, "lab-machines.txt")
	n := nodes[1]
	for i, want := range []bool{true, false} {
		wrote, removed, err := InstallDropIn(dir, n, "lab-machines.txt")
		if err != nil || wrote != want || removed != nil {
			t.Fatalf("install %d: wrote %v, removed %q, %v; want %v, none removed", i, wrote, removed, err, want)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf"))
	if err != nil || !strings.Contains(string(got), "Protocol=157") {
		t.Fatalf("drop-in: %v\n%s", err, got)
	}
	n.Config.Routes = nil
	if wrote, _, err := InstallDropIn(dir, n, "lab-machines.txt"); err != nil || !wrote {
		t.Errorf("after a change: wrote %v, %v; want true", wrote, err)
	}
	// The inventory names another .network file: the drop-in moves there.
	moved := n
	moved.NetworkFile = "20-eth1.network"
	old := filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf")
	if wrote, removed, err := InstallDropIn(dir, moved, "lab-machines.txt"); err != nil || !wrote || !slices.Equal(removed, []string{old}) {
		t.Errorf("for another .network file: wrote %v, removed %q, %v; want true, the old one removed", wrote, removed, err)
	}
	if got := DropIns(dir); !slices.Equal(got, []string{filepath.Join(dir, "20-eth1.network.d", "50-podroutes.conf")}) {
		t.Errorf("drop-ins %q, want only the one for 20-eth1.network", got)
	}
	if _, _, err := InstallDropIn(dir, n, "lab-machines.txt"); err != nil { // and back, for the checks below
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, n.NetworkFile+".d", ".podroutes-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// networkd runs as its own user: it must be able to read them all.
	for p, need := range map[string]os.FileMode{
		dir: 0o005, filepath.Join(dir, n.NetworkFile+".d"): 0o005, filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf"): 0o004,
	} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&need != need {
			t.Errorf("%s: %v, %v: others cannot read it", p, err, fi.Mode())
		}
	}
}

// TestRemoveDropIns: the drop-ins InstallDropIn wrote, for any .network
// file, go, and each .d directory they leave empty; an admin's own
// drop-in, and its directory, stay.
func TestRemoveDropIns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run/systemd/network")
	nodes := loadPlan(t, "lab-machines.txt")
	n, moved := nodes[1], nodes[1]
	moved.NetworkFile = "20-eth1.network"     // the inventory named another file since
	for _, n := range []plan.Node{n, moved} { // gen's way: each its own tree
		path := filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf")
		filetest.Write(t, path, "[Route]\n", 0o644)
	}
	own := filepath.Join(dir, "20-eth1.network.d", "60-mtu.conf")
	filetest.Write(t, own, "[Link]\nMTUBytes=9000\n", 0o644)

	removed, err := RemoveDropIns(dir)
	want := []string{filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf"), filepath.Join(dir, "20-eth1.network.d", "50-podroutes.conf")}
	slices.Sort(want)
	if err != nil || !slices.Equal(removed, want) {
		t.Errorf("removed %q, %v; want %q", removed, err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, n.NetworkFile+".d")); !os.IsNotExist(err) {
		t.Errorf("the emptied %s.d is still there: %v", n.NetworkFile, err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("the admin's drop-in is gone: %v", err)
	}
	if removed, err := RemoveDropIns(dir); err != nil || len(removed) != 0 {
		t.Errorf("again: removed %q, %v; want nothing", removed, err)
	}
}

// TestDropInsPathNotPattern: a directory whose name has glob
// metacharacters is a path: InstallDropIn finds and deletes the drop-in
// for the .network file named before, DropIns lists the one there, and
// RemoveDropIns deletes it.
func TestDropInsPathNotPattern(t *testing.T) {
	n := loadPlan(t, "lab-machines.txt")[1]
	moved := n
	moved.NetworkFile = "20-eth1.network"
	for _, name := range []string{"nd[x]", "nd*", "nd?", `nd\`} {
		dir := filepath.Join(t.TempDir(), name)
		old := filepath.Join(dir, n.NetworkFile+".d", "50-podroutes.conf")
		mine := filepath.Join(dir, "20-eth1.network.d", "50-podroutes.conf")
		if _, _, err := InstallDropIn(dir, n, "lab-machines.txt"); err != nil {
			t.Fatal(err)
		}
		if _, removed, err := InstallDropIn(dir, moved, "lab-machines.txt"); err != nil || !slices.Equal(removed, []string{old}) {
			t.Errorf("%s: moved: removed %q, %v; want %q", name, removed, err, old)
		}
		if got := DropIns(dir); !slices.Equal(got, []string{mine}) {
			t.Errorf("%s: drop-ins %q, want %q", name, got, mine)
		}
		if removed, err := RemoveDropIns(dir); err != nil || !slices.Equal(removed, []string{mine}) {
			t.Errorf("%s: RemoveDropIns removed %q, %v; want %q", name, removed, err, mine)
		}
		if _, err := os.Stat(mine); !os.IsNotExist(err) {
			t.Errorf("%s: %s is still there: %v", name, mine, err)
		}
	}
}
