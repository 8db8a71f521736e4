package boot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// foreign is an architecture other than this host's.
func foreign() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// fakeEmulation is Emulation on a fake /proc: filesystems lists fsTypes,
// binfmt_misc is mounted when mounted, and update-binfmts --enable writes
// entry (with "disable", removes it). It records the commands run.
type fakeEmulation struct {
	*Emulation
	calls []string
}

func newFakeEmulation(t *testing.T, fsTypes string, mounted bool, entry string) *fakeEmulation {
	dir := t.TempDir()
	f := &fakeEmulation{Emulation: &Emulation{
		Filesystems: filepath.Join(dir, "filesystems"),
		BinfmtDir:   filepath.Join(dir, "binfmt_misc"),
	}}
	filetest.Write(t, f.Filesystems, fsTypes, 0o644)
	if err := os.Mkdir(f.BinfmtDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if mounted {
		filetest.Write(t, filepath.Join(f.BinfmtDir, "register"), "", 0o200)
	}
	f.Run = func(_ context.Context, name string, args ...string) (string, error) {
		f.calls = append(f.calls, name+" "+strings.Join(args, " "))
		path := filepath.Join(f.BinfmtDir, args[len(args)-1])
		switch {
		case name == "mount":
			filetest.Write(t, filepath.Join(f.BinfmtDir, "register"), "", 0o200)
		case name == "update-binfmts" && args[0] == "--enable":
			filetest.Write(t, path, entry, 0o644)
		case name == "update-binfmts" && args[0] == "--disable":
			os.Remove(path) //nolint:errcheck // the test looks at what is left
		}
		return "", nil
	}
	f.EnsureTools = func(_ context.Context, pairs ...string) error {
		f.calls = append(f.calls, "install "+strings.Join(pairs, " "))
		return nil
	}
	return f
}

const (
	fsTypes     = "nodev\tsysfs\nnodev\tproc\n\text4\n"
	withBinfmt  = fsTypes + "nodev\tbinfmt_misc\n"
	goodEntry   = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\nmagic 7f454c46\n"
	noFixBinary = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: OC\n"
)

// Where the kernel has no binfmt_misc, Ensure fails, saying so, and touches
// nothing: no mount, no package, no handler.
func TestEmulationNoBinfmtMisc(t *testing.T) {
	f := newFakeEmulation(t, fsTypes, false, goodEntry)
	did, err := f.Ensure(context.Background(), foreign())
	if !errors.Is(err, ErrNoBinfmtMisc) || !strings.Contains(err.Error(), "CONFIG_BINFMT_MISC") {
		t.Fatalf("Ensure = %v, want ErrNoBinfmtMisc naming CONFIG_BINFMT_MISC", err)
	}
	if len(f.calls) != 1 || f.calls[0] != "modprobe binfmt_misc" || len(did) != 0 {
		t.Errorf("Ensure ran %q and reported %q; want only modprobe binfmt_misc", f.calls, did)
	}
}

// On a fresh host: install the packages, then mount binfmt_misc (so that
// the install registers no handler), register the one handler through
// update-binfmts, and say so, naming interpreter and flags.
func TestEmulationRegisters(t *testing.T) {
	f := newFakeEmulation(t, withBinfmt, false, goodEntry)
	did, err := f.Ensure(context.Background(), foreign())
	if err != nil {
		t.Fatal(err)
	}
	h := "qemu-" + qemuNames[foreign()]
	want := []string{"install " + h + "-static:qemu-user-static update-binfmts:binfmt-support",
		"mount -t binfmt_misc binfmt_misc " + f.BinfmtDir, "update-binfmts --enable " + h}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("Ensure ran %q, want %q", f.calls, want)
	}
	report := strings.Join(did, "\n")
	for _, w := range []string{"mounted binfmt_misc on " + f.BinfmtDir, "registered " + h + " (update-binfmts --enable " + h + "): interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P, flags POCF"} {
		if !strings.Contains(report, w) {
			t.Errorf("Ensure's report lacks %q:\n%s", w, report)
		}
	}
}

// A handler in place, enabled, with F: nothing to do, and the report says
// it found it.
func TestEmulationAlreadyRegistered(t *testing.T) {
	f := newFakeEmulation(t, withBinfmt, true, goodEntry)
	h := "qemu-" + qemuNames[foreign()]
	filetest.Write(t, filepath.Join(f.BinfmtDir, h), goodEntry, 0o644)
	// With binfmt_misc mounted, installing qemu-user-static registers all
	// its handlers: the report names those.
	f.EnsureTools = func(_ context.Context, pairs ...string) error {
		f.calls = append(f.calls, "install "+strings.Join(pairs, " "))
		filetest.Write(t, filepath.Join(f.BinfmtDir, "qemu-mips"), goodEntry, 0o644)
		return nil
	}
	did, err := f.Ensure(context.Background(), foreign())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 || !strings.HasPrefix(f.calls[0], "install ") {
		t.Errorf("Ensure ran %q, want only the package check", f.calls)
	}
	if want := []string{"binfmt_misc: installing qemu-user-static registered qemu-mips"}; len(did) != 2 || did[0] != want[0] || !strings.Contains(did[1], h+" already registered") {
		t.Errorf("Ensure reported %q, want %q and %s already registered", did, want, h)
	}
}

// A disabled handler is taken out and registered again; one that comes
// back without the F flag is an error (a container would not find the
// interpreter).
func TestEmulationDisabledAndNoFixBinary(t *testing.T) {
	h := "qemu-" + qemuNames[foreign()]
	f := newFakeEmulation(t, withBinfmt, true, goodEntry)
	filetest.Write(t, filepath.Join(f.BinfmtDir, h), strings.Replace(goodEntry, "enabled", "disabled", 1), 0o644)
	if _, err := f.Ensure(context.Background(), foreign()); err != nil {
		t.Fatal(err)
	}
	if got := f.calls[len(f.calls)-2:]; got[0] != "update-binfmts --disable "+h || got[1] != "update-binfmts --enable "+h {
		t.Errorf("Ensure ran %q, want update-binfmts --disable then --enable %s", f.calls, h)
	}

	f = newFakeEmulation(t, withBinfmt, true, noFixBinary)
	if _, err := f.Ensure(context.Background(), foreign()); err == nil || !strings.Contains(err.Error(), "without F") {
		t.Errorf("Ensure with a handler lacking F = %v, want an error saying so", err)
	}
}

// This host's own architecture needs nothing.
func TestEmulationNative(t *testing.T) {
	f := newFakeEmulation(t, fsTypes, false, goodEntry)
	if did, err := f.Ensure(context.Background(), runtime.GOARCH); err != nil || len(did) != 0 || len(f.calls) != 0 {
		t.Errorf("Ensure(%s) = %q, %v, ran %q; want nothing", runtime.GOARCH, did, err, f.calls)
	}
}
