package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/gen"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/source"
)

// TestStartDryRun: a pass from an inventory with a drop-in directory
// writes its routes inline, as networkd's, and says so; a dry run's load
// prints the drop-in it would write, writes none, and plans the routes.
func TestStartDryRun(t *testing.T) {
	dir := t.TempDir()
	inv := filetest.Write(t, filepath.Join(t.TempDir(), "machines.txt"),
		"10.240.0.20 node-0.lab node-0 10.200.0.0/24\n10.240.0.21 node-1.lab node-1 10.200.1.0/24\n", 0o644)
	src, err := source.Open(source.Options{Inventory: inv, Node: "node-0", NetworkFile: gen.DefaultNetworkFile})
	if err != nil {
		t.Fatal(err)
	}
	var stderr, dry bytes.Buffer
	p, err := Start(context.Background(), &stderr, src, PassOptions{DropIns: dir, DryRun: &dry})
	if err != nil {
		t.Fatal(err)
	}
	defer p.End()
	if !strings.Contains(stderr.String(), "--networkd-dropin: routes carry their gateway") {
		t.Errorf("log %q: want the routes inline, saying why", stderr.String())
	}
	cfg, err := p.First()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Routes) != 1 || cfg.Routes[0].Destination.String() != "10.200.1.0/24" {
		t.Errorf("node-0's routes: %+v, want the one to node-1's pods", cfg.Routes)
	}
	if want := "write    " + filepath.Join(dir, networkd.DropInRel(gen.DefaultNetworkFile)); !strings.HasPrefix(dry.String(), want) {
		t.Errorf("dry run printed %q, want it to start %q", dry.String(), want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a dry run wrote into %s: %v", dir, entries)
	}
}

// TestStartRoutesYAML: a drop-in directory given beside a routes.yaml is
// no drop-in written, and said.
func TestStartRoutesYAML(t *testing.T) {
	dir := t.TempDir()
	cfg := filetest.Write(t, filepath.Join(t.TempDir(), "routes.yaml"),
		"node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.21\n", 0o644)
	src, err := source.Open(source.Options{Config: cfg, NetworkFile: gen.DefaultNetworkFile})
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	p, err := Start(context.Background(), &stderr, src, PassOptions{DropIns: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.End()
	if want := "none written into " + dir; !strings.Contains(stderr.String(), want) {
		t.Errorf("log %q, want %q", stderr.String(), want)
	}
	if _, err := p.First(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a drop-in written into %s beside routes.yaml: %v", dir, entries)
	}
}
