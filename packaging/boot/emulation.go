package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// qemuNames maps a Debian architecture to its qemu-user name, which is also
// the name of its binfmt_misc handler (qemu-NAME) and of Debian's
// qemu-user-static program (qemu-NAME-static).
var qemuNames = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// Emulation registers qemu-user for an architecture other than this host's
// with the kernel's binfmt_misc, so that a root file system of that
// architecture runs here: debootstrap's second stage in a chroot, and a
// booted systemd-nspawn container. The handler must have the F flag (the
// interpreter is opened at registration), or the interpreter's path would
// have to exist inside every container; Debian's qemu-user-static registers
// it so.
//
// Registering is a host-global kernel setting (not the network's): it is
// done only through Debian's update-binfmts, and Ensure's report says what
// it did. `update-binfmts --disable qemu-aarch64` undoes it.
type Emulation struct {
	Filesystems string // the kernel's file system types: /proc/filesystems
	BinfmtDir   string // where binfmt_misc is mounted: /proc/sys/fs/binfmt_misc
	// Run runs a command (modprobe, mount, update-binfmts) and returns its
	// output; run by default. EnsureTools installs packages.
	Run         func(ctx context.Context, name string, args ...string) (string, error)
	EnsureTools func(ctx context.Context, pairs ...string) error
}

// HostEmulation is Emulation on this host's real paths and commands.
func HostEmulation() *Emulation {
	return &Emulation{Filesystems: "/proc/filesystems", BinfmtDir: "/proc/sys/fs/binfmt_misc",
		Run: run, EnsureTools: EnsureTools}
}

// ErrNoBinfmtMisc is Ensure's error where the kernel has no binfmt_misc.
var ErrNoBinfmtMisc = errors.New("the kernel has no binfmt_misc")

// Ensure makes programs of Debian architecture arch run here, installing
// qemu-user-static and binfmt-support, mounting binfmt_misc and enabling
// the handler as needed. It returns one line per thing it did or found, for
// the caller to show; nothing is needed for this host's own architecture.
func (e *Emulation) Ensure(ctx context.Context, arch string) ([]string, error) {
	if arch == runtime.GOARCH {
		return nil, nil
	}
	qemu, ok := qemuNames[arch]
	if !ok {
		return nil, fmt.Errorf("emulating %s: no qemu-user name known for it", arch)
	}
	handler := "qemu-" + qemu
	var did []string
	if !e.kernelHasBinfmtMisc() {
		// A module where it is not built in (CONFIG_BINFMT_MISC=m).
		e.Run(ctx, "modprobe", "binfmt_misc") //nolint:errcheck // checked just below
		if !e.kernelHasBinfmtMisc() {
			return did, fmt.Errorf("emulating %s: %w (CONFIG_BINFMT_MISC, not in %s, no module loads): "+
				"%s programs run here only through qemu-user, which the kernel starts through binfmt_misc; "+
				"boot a kernel built with it, or run this test on an %s machine", arch, ErrNoBinfmtMisc, e.Filesystems, arch, arch)
		}
		did = append(did, "loaded the binfmt_misc kernel module")
	}
	// qemu-user-static's postinst imports a handler for each of its
	// architectures into update-binfmts' database, which registers them all
	// with the kernel if binfmt_misc is mounted: so install before mounting,
	// and only the one handler asked for is registered. Where binfmt_misc was
	// mounted already (systemd automounts it), the report names the others.
	before := e.handlers()
	if err := e.EnsureTools(ctx, handler+"-static:qemu-user-static", "update-binfmts:binfmt-support"); err != nil {
		return did, fmt.Errorf("emulating %s: installing qemu-user-static and binfmt-support: %w", arch, err)
	}
	var added []string
	for _, n := range e.handlers() {
		if !slices.Contains(before, n) {
			added = append(added, n)
		}
	}
	if len(added) > 0 {
		did = append(did, "binfmt_misc: installing qemu-user-static registered "+strings.Join(added, " "))
	}
	if !exists(filepath.Join(e.BinfmtDir, "register")) {
		if _, err := e.Run(ctx, "mount", "-t", "binfmt_misc", "binfmt_misc", e.BinfmtDir); err != nil {
			return did, fmt.Errorf("emulating %s: mounting binfmt_misc on %s (a container needs it mounted by its host): %w", arch, e.BinfmtDir, err)
		}
		did = append(did, "mounted binfmt_misc on "+e.BinfmtDir)
	}
	entry := filepath.Join(e.BinfmtDir, handler)
	h, err := readHandler(entry)
	if err == nil && h.enabled && strings.Contains(h.flags, "F") {
		return append(did, fmt.Sprintf("binfmt_misc: %s already registered (interpreter %s, flags %s)", handler, h.interpreter, h.flags)), nil
	}
	if err == nil {
		// Registered but disabled (echo 0 > entry), or without F: update-binfmts
		// --enable leaves an entry in the kernel as it is, so take it out first.
		if _, err := e.Run(ctx, "update-binfmts", "--disable", handler); err != nil {
			return did, fmt.Errorf("emulating %s: %w", arch, err)
		}
		did = append(did, fmt.Sprintf("binfmt_misc: removed %s (%s, flags %s) to register it again", handler, state(h.enabled), h.flags))
	}
	if _, err := e.Run(ctx, "update-binfmts", "--enable", handler); err != nil {
		return did, fmt.Errorf("emulating %s: %w", arch, err)
	}
	if h, err = readHandler(entry); err != nil || !h.enabled {
		return did, fmt.Errorf("emulating %s: update-binfmts --enable %s left no enabled handler in %s: %v", arch, handler, e.BinfmtDir, err)
	}
	if !strings.Contains(h.flags, "F") {
		return did, fmt.Errorf("emulating %s: %s is registered with flags %q, without F: inside a container the kernel would look for %s there, and not find it",
			arch, handler, h.flags, h.interpreter)
	}
	return append(did, fmt.Sprintf("binfmt_misc: registered %s (update-binfmts --enable %s): interpreter %s, flags %s; "+
		"update-binfmts --disable %s removes it", handler, handler, h.interpreter, h.flags, handler)), nil
}

// handlers lists the names of the registered binfmt_misc handlers.
func (e *Emulation) handlers() []string {
	entries, _ := os.ReadDir(e.BinfmtDir) // sorted by name
	var names []string
	for _, d := range entries {
		if n := d.Name(); n != "register" && n != "status" {
			names = append(names, n)
		}
	}
	return names
}

func state(enabled bool) string {
	if enabled {
		return "enabled"
	}
	return "disabled"
}

func (e *Emulation) kernelHasBinfmtMisc() bool {
	b, err := os.ReadFile(e.Filesystems)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[len(f)-1] == "binfmt_misc" {
			return true
		}
	}
	return false
}

// handler is a binfmt_misc entry as the kernel shows it.
type handler struct {
	enabled            bool
	interpreter, flags string
}

// readHandler reads a binfmt_misc entry file ("enabled", "interpreter
// PATH", "flags: POCF", ...).
func readHandler(path string) (handler, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return handler{}, err
	}
	var h handler
	for _, l := range strings.Split(string(b), "\n") {
		switch k, v, _ := strings.Cut(l, " "); k {
		case "enabled":
			h.enabled = true
		case "interpreter":
			h.interpreter = v
		case "flags:":
			h.flags = v
		}
	}
	return h, nil
}
