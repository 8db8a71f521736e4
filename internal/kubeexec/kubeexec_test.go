package kubeexec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// execEnv, set, makes the test binary Exec at once, as a nokube podroutes
// given --kubeconfig does: TestExec runs a copy of it.
const execEnv = "KUBEEXEC_TEST_EXEC"

func TestMain(m *testing.M) {
	if os.Getenv(execEnv) != "" {
		err := Exec([]string{"podroutes", "check", "--kubeconfig", "k"})
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// sibling writes a podroutes-kube into dir with perm: a script that says
// its PID, arguments and the environment's KUBEEXEC_TEST_VALUE.
func sibling(t *testing.T, dir string, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, Name)
	script := "#!/bin/sh\necho \"pid $$ args $0 $* value $KUBEEXEC_TEST_VALUE\"\n"
	if err := os.WriteFile(path, []byte(script), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	bin, lib := filepath.Join(root, "bin"), filepath.Join(root, "lib", "podroutes")
	exe := filepath.Join(bin, "podroutes")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}

	_, err := Find(exe)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(lib, Name)) || !strings.Contains(err.Error(), filepath.Join(bin, Name)) {
		t.Errorf("none there: Find = %v, want an error naming both places", err)
	}

	inLib := sibling(t, lib, 0o755)
	if got, err := Find(exe); got != inLib || err != nil {
		t.Errorf("in lib/podroutes: Find = %q, %v, want %q", got, err, inLib)
	}
	beside := sibling(t, bin, 0o755)
	if got, err := Find(exe); got != beside || err != nil {
		t.Errorf("beside it too: Find = %q, %v, want %q", got, err, beside)
	}

	if err := os.Chmod(beside, 0o775); err != nil {
		t.Fatal(err)
	}
	_, err = Find(exe)
	if err == nil || !strings.Contains(err.Error(), "refusing to run "+beside) || !strings.Contains(err.Error(), "group- or world-writable") {
		t.Errorf("group-writable: Find = %v, want it refused, naming %s", err, beside)
	}
	if err := os.Chmod(beside, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(beside, 1000, 1000); err != nil {
			t.Fatal(err)
		}
		_, err = Find(exe)
		if err == nil || !strings.Contains(err.Error(), "owned by uid 1000, not root") {
			t.Errorf("another user's: Find = %v, want it refused", err)
		}
	}
}

// TestExec runs a copy of this test binary that Execs at once, beside a
// podroutes-kube that says what it was given: the same process (PID),
// the arguments given, the environment.
func TestExec(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "podroutes")
	copyFile(t, self, exe)
	sibling(t, dir, 0o755)

	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), execEnv+"=1", "KUBEEXEC_TEST_VALUE=kept")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v\n%s", exe, err, errb.String())
	}
	want := "pid " + strconv.Itoa(pid) + " args " + filepath.Join(dir, Name) + " check --kubeconfig k value kept\n"
	if out.String() != want {
		t.Errorf("podroutes-kube said %q, want %q", out.String(), want)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
