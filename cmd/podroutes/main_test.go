package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/logtest"
)

// podroutesBin is the real binary, built once by TestMain; CLI tests run it.
var podroutesBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "podroutes-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	podroutesBin = filepath.Join(dir, "podroutes")
	// The binaries the tests run serialize on a lock of their own, not on
	// the host's /run/podroutes/lock-INO.
	os.Setenv("PODROUTES_LOCK", filepath.Join(dir, "lock"))
	build := exec.Command("go", "build", "-o", podroutesBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building podroutes:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// runBin runs the built binary with args (prefix, if any, wraps it: e.g.
// `ip netns exec NS`) and returns its output and exit code.
func runBin(t testing.TB, env []string, prefix []string, args ...string) result {
	t.Helper()
	cmd := binCommand(env, prefix, args)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// binCommand is the built binary with args, wrapped in prefix (if any),
// its environment this process's and env.
func binCommand(env, prefix, args []string) *exec.Cmd {
	argv := append(append(append([]string{}, prefix...), podroutesBin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// process is a running podroutes.
type process struct {
	cmd  *exec.Cmd
	out  *logtest.Writer
	done chan struct{}
	err  error
}

// startBin starts the binary like runBin, killed when the test ends.
func startBin(t testing.TB, env, prefix []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: binCommand(env, prefix, args), out: &logtest.Writer{W: new(bytes.Buffer)}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", p.cmd.Args, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("podroutes %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

func (p *process) signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitOutput waits until the output contains s, failing the test after 5 s.
func (p *process) waitOutput(t *testing.T, s string) {
	t.Helper()
	for start := time.Now(); !strings.Contains(p.out.String(), s); time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("podroutes did not say %q in 5s:\n%s", s, p.out.String())
		}
	}
}

// wait returns the exit code and output, failing the test after 5 s.
func (p *process) wait(t testing.TB) (int, string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("podroutes still running after 5s:\n%s", p.out.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), p.out.String()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0, p.out.String()
}

// podroutes runs the binary with args and no wrapper.
func podroutes(t *testing.T, args ...string) result {
	t.Helper()
	return runBin(t, nil, nil, args...)
}

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
