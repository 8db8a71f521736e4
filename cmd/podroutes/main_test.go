package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
	// the host's /run/podroutes/lock.
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
func runBin(t *testing.T, env []string, prefix []string, args ...string) result {
	t.Helper()
	argv := append(append([]string{}, prefix...), podroutesBin)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// podroutes runs the binary with args and no wrapper.
func podroutes(t *testing.T, args ...string) result {
	t.Helper()
	return runBin(t, nil, nil, args...)
}
