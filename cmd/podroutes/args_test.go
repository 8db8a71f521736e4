package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// TestPositionalArgumentRefused: every command refuses a positional
// argument with exit 2 before it does anything: urfave/cli stops reading
// flags there, so `apply FILE --dry-run` would otherwise apply the default
// config for real.
func TestPositionalArgumentRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "/tmp/new.yaml", "--dry-run"}, `unexpected argument "/tmp/new.yaml" (did you mean --config /tmp/new.yaml?); nothing after it was read either: --dry-run`},
		{[]string{"check", "routes.yaml"}, `unexpected argument "routes.yaml" (did you mean --config routes.yaml?)`},
		{[]string{"remove", "routes.yaml"}, `unexpected argument "routes.yaml" (did you mean --config routes.yaml?)`},
		{[]string{"watch", "routes.yaml"}, `unexpected argument "routes.yaml" (did you mean --config routes.yaml?)`},
		{[]string{"gen", "machines.txt"}, `unexpected argument "machines.txt" (did you mean --inventory machines.txt?)`},
		{[]string{"validate", "machines.txt"}, `unexpected argument "machines.txt" (did you mean --inventory machines.txt?)`},
		{[]string{"man", "extra"}, `unexpected argument "extra"; nothing was changed`},
	} {
		// The default config does not exist here: had the command run, it
		// would fail reading it, not name the argument.
		r := podroutes(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("podroutes %s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// TestHelp: `podroutes help` and `podroutes help CMD` work (exit 0).
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "apply"}, {"apply", "--help"}} {
		r := podroutes(t, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "USAGE:") {
			t.Errorf("podroutes %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}

// TestFileOfTheOtherKind: an inventory given as routes.yaml, and a
// routes.yaml given as the inventory, are named for what they are, with
// the flag that reads them, instead of failing on every line; a file of
// neither kind still gets its own problems.
func TestFileOfTheOtherKind(t *testing.T) {
	dir := t.TempDir()
	machines := filetest.Write(t, filepath.Join(dir, "machines.txt"),
		"10.240.0.20 node-0.k node-0 10.200.0.0/24\n10.240.0.21 node-1.k node-1 10.200.1.0/24\n", 0o644)
	routes := writeRoutes(t, "node-0", "10.200.1.0/24 via 10.240.0.21")
	bad := filetest.Write(t, filepath.Join(dir, "bad.txt"), "10.240.0.20 node-0.k\n", 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "--config", machines, "--dry-run"}, machines + ": an inventory (2 hosts), not a routes.yaml: give it with --inventory"},
		{[]string{"check", "--config", machines}, machines + ": an inventory (2 hosts), not a routes.yaml: give it with --inventory"},
		{[]string{"validate", "--inventory", routes}, routes + ": a routes.yaml (the routes of node-0, as podroutes gen writes them), not an inventory: apply, check, remove and watch read it with --config"},
		{[]string{"gen", "--inventory", routes}, routes + ": a routes.yaml (the routes of node-0"},
		{[]string{"apply", "--inventory", routes, "--dry-run"}, routes + ": a routes.yaml (the routes of node-0"},
		{[]string{"apply", "--config", bad, "--dry-run"}, bad + `:1: routes.yaml: want a mapping, got string "10.240.0.20 node-0.k"`},
	} {
		r := podroutes(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("podroutes %s: exit %d, stderr %q; want 2 and the one line %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}
}
