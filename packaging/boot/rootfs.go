// Package boot boots the podroutes .deb in a real systemd: a cached Debian
// bookworm root file system, booted with systemd-nspawn over a fresh overlay
// inside lab network namespaces, so that the unit, its ordering and the
// maintainer scripts are tested the way a host runs them. It works where PID 1
// is not systemd (no D-Bus, no machined). boot_test.go holds the cases.
//
// Everything it creates carries the prefix "prboot-<pid>-": namespaces,
// cgroups and temp dirs. Cleanup removes them by name and kills by PID or
// cgroup; Sweep removes what a killed earlier run left behind.
package boot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CacheDir holds the pristine root file system between runs.
const CacheDir = "/var/cache/podroutes-test/rootfs"

// Rootfs returns dir, debootstrapping Debian bookworm into it first if it
// holds no systemd yet (about 50 s), from the mirror in apt's sources.
func Rootfs(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "lib/systemd/systemd")); err == nil {
		return nil
	}
	mirror, err := Mirror("/etc/apt/sources.list.d/debian.sources")
	if err != nil {
		return err
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing partial root fs: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("creating cache dir: %w", err)
	}
	if _, err := run(ctx, "debootstrap", "--variant=minbase",
		"--include=systemd,systemd-sysv,iproute2,dbus", "bookworm", tmp, mirror); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "etc/hostname"), []byte("podtest\n"), 0o644); err != nil {
		return fmt.Errorf("writing hostname: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("publishing root fs: %w", err)
	}
	return nil
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
	args := append([]string{"install", "-y", "-qq"}, pkgs...)
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
