// Package packaging holds the tests of the build's own checks; the packages
// and the boot test are in packaging/boot, the lints in lint.sh.
package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// make checks the Go version before anything else (check-go.sh): a Go
// older than go.mod's go line fails `make build` with a message that says
// what to install, and builds nothing; a new enough one builds with
// GOTOOLCHAIN=auto, so that Go 1.21+ may fetch what go.mod asks for.
func TestMakeChecksGoVersion(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make: %v", err) // make test runs through make: it is there
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// go.mod's go line: the version the check asks for.
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var need string
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			need = strings.TrimSpace(v)
		}
	}
	if need == "" {
		t.Fatal("go.mod has no go line")
	}
	cases := []struct {
		name, script string // script: the fake go's body; "" for no go
		gotoolchain  string // in make's environment; "" for unset
		ok           bool
		want         []string // in make's output
	}{
		{name: "debian12-golang-go", script: "echo go version go1.19.8 linux/amd64",
			want: []string{"podroutes needs Go " + need + " or later", "is go1.19.8, which cannot read go.mod", "https://go.dev/dl/", "Debian 12's golang-go is Go 1.19"}},
		{name: "no-go", want: []string{"no 'GO' on PATH", "https://go.dev/dl/"}},
		{name: "fetch-failed", script: `echo "go: download go` + need + `: toolchain not available" >&2; exit 1`,
			want: []string{"  go: download go" + need + ": toolchain not available", "version' failed", "GOTOOLCHAIN=auto"}},
		{name: "go1.22-local", script: "echo go version go1.22.2 linux/amd64", gotoolchain: "local",
			want: []string{"is go1.22.2 and did not switch to go" + need + " (GOTOOLCHAIN is local: with GOTOOLCHAIN=auto it fetches go" + need + " itself)"}},
		{name: "new-enough", script: `echo "go version go` + need + ` linux/amd64"; echo "$GOTOOLCHAIN $*" >>"$(dirname "$0")/calls"`, ok: true,
			want: []string{"CGO_ENABLED=0 GO build"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			goBin := filepath.Join(dir, "go")
			if c.script != "" {
				if err := os.WriteFile(goBin, []byte("#!/bin/sh\n"+c.script+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// GO names the fake by its path; PATH without Go's directory.
			cmd := exec.Command("make", "--no-print-directory", "-C", root, "build", "GO="+goBin, "BIN="+filepath.Join(dir, "podroutes"))
			env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir}
			if c.gotoolchain != "" {
				env = append(env, "GOTOOLCHAIN="+c.gotoolchain)
			}
			cmd.Env = env
			b, err := cmd.CombinedOutput()
			out := strings.ReplaceAll(string(b), goBin, "GO")
			if c.ok != (err == nil) {
				t.Fatalf("make build: %v, want success %v:\n%s", err, c.ok, out)
			}
			if !c.ok && !strings.Contains(out, "*** Go "+need+" or later is needed (above).  Stop.") {
				t.Errorf("make build did not stop at the check:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("make build's output lacks %q:\n%s", w, out)
				}
			}
			calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
			if c.ok && !strings.Contains(string(calls), "auto build ") {
				t.Errorf("make build ran go as %q, want go build with GOTOOLCHAIN=auto", calls)
			}
		})
	}
}
