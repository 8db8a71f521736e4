// Package kubeexec hands a run that needs the Kubernetes API to
// podroutes-kube, the build that links client-go. The podroutes installed
// as /usr/bin/podroutes is built without it (-tags nokube), so that the
// one-shot commands of every boot do not load what only --kubeconfig
// uses; a command given --kubeconfig becomes podroutes-kube instead, in
// the same process (execve: the same PID, so systemd's Type=notify and
// watchdog keep following it), with the same arguments and environment.
package kubeexec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/podroutes/podroutes/internal/infile"
)

// Name is the full build's file name.
const Name = "podroutes-kube"

// LibDir is where the packages install it, relative to /usr/bin, where
// they install podroutes.
const LibDir = "../lib/podroutes"

// Find returns the path of podroutes-kube for the podroutes at exe: in
// the same directory (a build in bin/, as make build writes both), else
// LibDir from it (/usr/lib/podroutes/podroutes-kube for /usr/bin/podroutes).
// It refuses, naming the path and why, one that is missing or that this
// process should not run: one root could not trust (infile.Untrusted:
// owned by root, or by this process's user, and writable by nobody else).
func Find(exe string) (string, error) {
	dir := filepath.Dir(exe)
	beside, lib := filepath.Join(dir, Name), filepath.Clean(filepath.Join(dir, LibDir, Name))
	path := beside
	if _, err := os.Stat(beside); errors.Is(err, fs.ErrNotExist) {
		path = lib
	}
	why, err := infile.Untrusted(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("--kubeconfig needs %s, the build of podroutes with the Kubernetes API, "+
			"which is neither at %s nor at %s: reinstall the package, or build both (make build)", Name, lib, beside)
	case err != nil:
		return "", fmt.Errorf("--kubeconfig needs %s: %w", path, err)
	case why != "":
		return "", fmt.Errorf("refusing to run %s (for --kubeconfig): %s", path, why)
	}
	return path, nil
}

// Exec replaces this process with podroutes-kube (Find, beside the running
// executable), given args (argv, its first the program's name as called)
// and this process's environment. It returns only when it cannot: why.
func Exec(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding %s: %w", Name, err)
	}
	path, err := Find(exe)
	if err != nil {
		return err
	}
	if err := syscall.Exec(path, args, os.Environ()); err != nil {
		return fmt.Errorf("running %s (for --kubeconfig): %w", path, err)
	}
	return nil
}
