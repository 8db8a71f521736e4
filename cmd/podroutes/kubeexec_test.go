package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubeExec runs podroutes built as it is installed (-tags nokube)
// with --kubeconfig: beside the full build as podroutes-kube it hands
// the command over (the kubeconfig then read, and refused, by the full
// build), as the packages install the two; without it, it says where it
// looked (exit 2). A command without --kubeconfig runs in it alone.
// internal/kubeexec tests the process (same PID) and the refusals.
func TestKubeExec(t *testing.T) {
	dir := t.TempDir()
	nokube := filepath.Join(dir, "podroutes")
	build := exec.Command("go", "build", "-tags", "nokube", "-o", nokube, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building podroutes -tags nokube: %v\n%s", err, out)
	}
	kubeconfig := filepath.Join(dir, "missing-kubeconfig")
	run := func(args ...string) result {
		cmd := exec.Command(nokube, args...)
		out, err := cmd.Output()
		r := result{stdout: string(out)}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code, r.stderr = ee.ExitCode(), string(ee.Stderr)
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}

	r := run("check", "--kubeconfig", kubeconfig)
	if r.code != exitInput || !strings.Contains(r.stderr, "neither at "+filepath.Join(filepath.Dir(dir), "lib", "podroutes", "podroutes-kube")) {
		t.Errorf("no podroutes-kube: exit %d, %q; want 2 naming where it looked", r.code, r.stderr)
	}

	data, err := os.ReadFile(podroutesBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "podroutes-kube"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"check", "gen"} {
		r = run(cmd, "--kubeconfig", kubeconfig)
		if want := "reading kubeconfig: open " + kubeconfig; r.code != exitInput || !strings.Contains(r.stderr, want) {
			t.Errorf("%s --kubeconfig beside podroutes-kube: exit %d, %q; want 2 and %q", cmd, r.code, r.stderr, want)
		}
	}
	if r = run("validate", "--inventory", "../../examples/machines.txt"); r.code != exitOK {
		t.Errorf("validate: exit %d, %s", r.code, r.stderr)
	}
}
