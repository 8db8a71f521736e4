package main

import (
	"context"
	"testing"

	"github.com/podroutes/podroutes/gen"
	"github.com/podroutes/podroutes/internal/filetest"
)

// TestSourceReadsOnce: apply reads routes.yaml once (open checks it and
// the first load takes what open read), and every later load, a reload,
// reads the file again.
func TestSourceReadsOnce(t *testing.T) {
	path := writeRoutes(t, "a", "10.200.1.0/24 via 10.240.0.21")
	o := sourceOptions{config: path, networkFile: gen.DefaultNetworkFile}
	src, err := o.open(nil)
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, path, "node: b\nroutes: []\n", 0o644)
	for _, want := range []string{"a", "b"} {
		cfg, err := src.load(context.Background(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Node != want {
			t.Errorf("load: node %q, want %q", cfg.Node, want)
		}
	}
}
