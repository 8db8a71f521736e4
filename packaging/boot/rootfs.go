// Package boot boots the podroutes .deb in a real systemd: a cached Debian
// root file system per release (bookworm, trixie, and bookworm arm64 through
// qemu-user on other hosts), booted with systemd-nspawn
// over a fresh overlay inside lab network namespaces, so that the unit, its
// ordering and the maintainer scripts are tested the way a host runs them. It
// works where PID 1 is not systemd (no D-Bus, no machined). boot_test.go
// holds the cases.
//
// Everything it creates carries the prefix "prboot-<pid>-": namespaces,
// cgroups and temp dirs. Cleanup removes them by name and kills by PID or
// cgroup; Sweep removes what a killed earlier run left behind.
package boot

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	flock "github.com/podroutes/podroutes/internal/lock"
)

// Release is a Debian release, of one architecture, the boot test runs on.
type Release struct {
	Suite   string // debootstrap's name for it
	Systemd int    // the major version of its systemd, checked in the root fs
	Arch    string // Debian's name for its architecture (Go's, for amd64 and arm64)
}

// Releases are the releases the boot cases run on: Debian 12 and 13 on this
// host's architecture, and Debian 12 on arm64 (Raspberry Pis and the VMs of
// Apple-silicon Macs, where Kubernetes the Hard Way is most often followed),
// emulated by qemu-user on any other host (see Emulation).
var Releases = releases(runtime.GOARCH)

func releases(host string) []Release {
	rs := []Release{{"bookworm", 252, host}, {"trixie", 257, host}}
	if host != "arm64" {
		rs = append(rs, Release{"bookworm", 252, "arm64"})
	}
	return rs
}

// CacheDir holds a pristine root file system per release between runs.
const CacheDir = "/var/cache/podroutes-test"

// Emulated tells whether r's programs run here through qemu-user.
func (r Release) Emulated() bool { return r.Arch != runtime.GOARCH }

// Name is the suite, with the architecture where it is emulated.
func (r Release) Name() string {
	if r.Emulated() {
		return r.Suite + "-" + r.Arch
	}
	return r.Suite
}

// Dir is r's root file system in the cache.
func (r Release) Dir() string { return filepath.Join(CacheDir, "rootfs-"+r.Name()) }

// Rootfs returns r's root file system, debootstrapping it first if the cache
// holds none yet (about 50 s for bookworm, 60 s for trixie, 80 s for an
// emulated bookworm arm64, whose packages are configured under qemu-user),
// from the mirror in apt's sources. Concurrent runs take turns on a lock
// file. An emulated release needs its Emulation in place first.
func Rootfs(ctx context.Context, r Release) (string, error) {
	dir := r.Dir()
	if err := os.MkdirAll(CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating cache dir: %w", err)
	}
	unlock, err := lock(ctx, dir+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if hasSystemd(dir) {
		return dir, nil
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("removing partial root fs: %w", err)
	}
	if err := fill(ctx, r, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("publishing root fs: %w", err)
	}
	return dir, nil
}

// fill makes r's root fs in dir. Earlier versions of this test cached a
// bookworm in CacheDir/rootfs: that one is taken over with hard links (cp -al:
// no second copy of the data, and nothing writes to a cached root fs), which
// also leaves it in place for a run of the earlier test still booting it.
func fill(ctx context.Context, r Release, dir string) error {
	if old := filepath.Join(CacheDir, "rootfs"); r.Suite == "bookworm" && !r.Emulated() && hasSystemd(old) {
		_, err := run(ctx, "cp", "-a", "--link", old, dir)
		return err
	}
	mirror, err := Mirror("/etc/apt/sources.list.d/debian.sources")
	if err != nil {
		return err
	}
	if _, err := run(ctx, "debootstrap", "--variant=minbase", "--arch="+r.Arch,
		"--include=systemd,systemd-sysv,iproute2,dbus", r.Suite, dir, mirror); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/hostname"), []byte("podtest\n"), 0o644); err != nil {
		return fmt.Errorf("writing hostname: %w", err)
	}
	return nil
}

// hasSystemd tells whether dir holds a finished root fs: debootstrap
// installs systemd last of what the test needs. (usr/lib: both releases'
// debootstrap merges /usr, so lib/ is a link to it.)
func hasSystemd(dir string) bool {
	return exists(filepath.Join(dir, "usr/lib/systemd/systemd"))
}

// lock takes the flock on path the way podroutes takes its own (package
// lock: one file, polled, the holder's PID written in it), waiting while
// another run holds it until ctx, the test's deadline, ends the wait, and
// returns its release.
func lock(ctx context.Context, path string) (func(), error) {
	l, err := flock.Acquire(ctx, path, 24*time.Hour, nil)
	if err != nil {
		return nil, err
	}
	return func() { l.Release() }, nil
}

// Arch returns the Debian architecture of the root fs dir, from the ELF
// header of its systemd: what runs, whatever the cache's name says.
func Arch(dir string) (string, error) {
	f, err := elf.Open(filepath.Join(dir, "usr/lib/systemd/systemd"))
	if err != nil {
		return "", fmt.Errorf("reading the root fs's architecture: %w", err)
	}
	defer f.Close()
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	}
	return "", fmt.Errorf("reading the root fs's architecture: %s's systemd is for %v", dir, f.Machine)
}

// SystemdVersion returns the version of the systemd package installed in
// the root fs dir, from dpkg's status file.
func SystemdVersion(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, "var/lib/dpkg/status"))
	if err != nil {
		return "", fmt.Errorf("reading the root fs's packages: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			found = false
		case line == "Package: systemd":
			found = true
		case found && strings.HasPrefix(line, "Version: "):
			return strings.TrimPrefix(line, "Version: "), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading the root fs's packages: %w", err)
	}
	return "", fmt.Errorf("no systemd package in %s", dir)
}

// Mirror returns the first URIs: entry of a deb822 sources file.
func Mirror(sources string) (string, error) {
	f, err := os.Open(sources)
	if err != nil {
		return "", fmt.Errorf("finding the Debian mirror: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if uri, ok := strings.CutPrefix(sc.Text(), "URIs:"); ok {
			if fields := strings.Fields(uri); len(fields) > 0 {
				return fields[0], nil
			}
		}
	}
	return "", fmt.Errorf("finding the Debian mirror: no URIs: line in %s", sources)
}

// EnsureTools installs the Debian packages that provide the missing commands
// (command:package pairs).
func EnsureTools(ctx context.Context, pairs ...string) error {
	var pkgs []string
	for _, p := range pairs {
		cmd, pkg, _ := strings.Cut(p, ":")
		if _, err := exec.LookPath(cmd); err != nil {
			pkgs = append(pkgs, pkg)
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	// Waiting for apt's lock: another install (another test, another run)
	// may hold it.
	args := append([]string{"-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq"}, pkgs...)
	if _, err := run(ctx, "apt-get", args...); err != nil {
		if _, uerr := run(ctx, "apt-get", "update", "-qq"); uerr != nil {
			return uerr
		}
		_, err = run(ctx, "apt-get", args...)
		return err
	}
	return nil
}

// run runs a command and returns its stdout; the error carries its stderr.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "),
			err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
