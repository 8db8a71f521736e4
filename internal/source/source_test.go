package source

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/watch"
	"github.com/podroutes/podroutes/gen"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/notify"
)

// mustOpen opens o's source (Open), failing the test on an error.
func mustOpen(t *testing.T, o Options) *Source {
	t.Helper()
	src, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestDropInExcludes: a networkd drop-in directory is refused, as bad
// input, beside --kubeconfig and --config, each saying why; beside an
// inventory, or with no directory, it is not.
func TestDropInExcludes(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		dir  string
		want string
	}{
		{Options{Kubeconfig: "kubeconfig"}, "/run/systemd/network", "--networkd-dropin excludes --kubeconfig: "},
		{Options{Config: "routes.yaml"}, "/run/systemd/network", "--networkd-dropin excludes --config: "},
		{Options{Inventory: "machines.txt"}, "/run/systemd/network", ""},
		{Options{Config: "routes.yaml"}, "", ""},
	} {
		err := tc.o.DropInExcludes(tc.dir)
		if tc.want == "" && err != nil || tc.want != "" && (!IsInput(err) || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("%+v, %q: %v, want %q as bad input (\"\": none)", tc.o, tc.dir, err, tc.want)
		}
	}
}

// TestSourceReadsOnce: apply reads routes.yaml once (Open checks it and
// the first load takes what Open read), and every later load, a reload,
// reads the file again.
func TestSourceReadsOnce(t *testing.T) {
	path := filetest.Write(t, filepath.Join(t.TempDir(), "routes.yaml"),
		"node: a\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.21\n", 0o644)
	src := mustOpen(t, Options{Config: path, NetworkFile: gen.DefaultNetworkFile})
	filetest.Write(t, path, "node: b\nroutes: []\n", 0o644)
	for i, load := range []func(context.Context, Host) (plan.Node, error){src.First, src.Reload} {
		n, err := load(context.Background(), Host{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a", "b"}[i]; n.Config.Node != want {
			t.Errorf("load: node %q, want %q", n.Config.Node, want)
		}
	}
}

// TestDefaultSource: without a flag naming the config, this host's
// routes.yaml wins, else the shared inventory; with neither, one line
// names both and the flags, as bad input.
func TestDefaultSource(t *testing.T) {
	dir := t.TempDir()
	routes, inv := filepath.Join(dir, "routes.yaml"), filepath.Join(dir, "inventory")
	_, err := defaultSource(routes, inv)
	want := "no config: neither " + routes + " (this host's routes, from podroutes gen) nor " + inv +
		" (the inventory every host shares) exists; name one with --config, --inventory or --kubeconfig"
	if !IsInput(err) || err.Error() != want {
		t.Errorf("neither: %v, want bad input and %q", err, want)
	}
	filetest.Write(t, inv, "", 0o644)
	if got, err := defaultSource(routes, inv); got != inv || err != nil {
		t.Errorf("only the inventory: %q, %v", got, err)
	}
	filetest.Write(t, routes, "", 0o644)
	if got, err := defaultSource(routes, inv); got != routes || err != nil {
		t.Errorf("both: %q, %v, want routes.yaml", got, err)
	}
}

// TestFirstWaitsReloadDoesNot: from an inventory, the first load waits
// (Host.Wait) for the address that says which host this is; a reload
// finds this host at once, by its hostname here, without waiting.
func TestFirstWaitsReloadDoesNot(t *testing.T) {
	path := filetest.Write(t, filepath.Join(t.TempDir(), "machines.txt"),
		"10.240.0.20 node-0.k.local node-0 10.200.0.0/24\n10.240.0.21 node-1.k.local node-1 10.200.1.0/24\n", 0o644)
	src := mustOpen(t, Options{Inventory: path, NetworkFile: gen.DefaultNetworkFile})
	var log strings.Builder
	boot := &bootHost{hostname: "laptop", looks: [][]string{nil, {"10.240.0.21"}}}
	n, err := src.First(context.Background(), Host{Local: boot.local, Changes: boot.changes, Wait: time.Hour, Log: notify.NewLogger(&log)})
	if err != nil || n.Config.Node != "node-1" || boot.n != 2 {
		t.Fatalf("first: %q after %d looks, %v; want node-1 after the address came", n.Config.Node, boot.n, err)
	}
	later := &bootHost{hostname: "node-0", looks: [][]string{{"192.168.1.5"}}}
	waited := func(<-chan struct{}) (<-chan struct{}, error) {
		return nil, errors.New("a reload waited for an address")
	}
	n, err = src.Reload(context.Background(), Host{Local: later.local, Changes: waited, Wait: time.Hour, Log: notify.NewLogger(&log)})
	if err != nil || n.Config.Node != "node-0" {
		t.Errorf("reload: %q, %v; want node-0 by its hostname, at once", n.Config.Node, err)
	}
}

// TestReloadHostUnknown: a reload that finds no host with this host's
// addresses, nor by its hostname, is a watch.ErrHostUnknown (watch loads
// again at the next address change); one that two hosts claim, or that
// --node names, is not: an address coming will not settle it.
func TestReloadHostUnknown(t *testing.T) {
	path := filetest.Write(t, filepath.Join(t.TempDir(), "machines.txt"),
		"10.240.0.20 node-0.k.local node-0 10.200.0.0/24\n10.240.0.21 node-1.k.local node-1 10.200.1.0/24\n", 0o644)
	for _, tc := range []struct {
		node  string
		addrs []string
		want  bool
	}{
		{"", []string{"10.240.0.99"}, true},
		{"", nil, true},
		{"", []string{"10.240.0.20", "10.240.0.21"}, false},
		{"node-9", []string{"10.240.0.99"}, false},
	} {
		src := mustOpen(t, Options{Inventory: path, Node: tc.node, NetworkFile: gen.DefaultNetworkFile})
		var log strings.Builder
		h := &bootHost{hostname: "laptop", looks: [][]string{tc.addrs}}
		_, err := src.Reload(context.Background(), Host{Local: h.local, Log: notify.NewLogger(&log)})
		if err == nil || errors.Is(err, watch.ErrHostUnknown) != tc.want || !IsInput(err) {
			t.Errorf("--node %q, addresses %v: %v; want bad input, watch.ErrHostUnknown %v", tc.node, tc.addrs, err, tc.want)
		}
	}
}
