package main

import (
	"strings"
	"testing"
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
