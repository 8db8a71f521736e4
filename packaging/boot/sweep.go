package boot

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Sweep removes what earlier runs that were killed (test timeout, SIGKILL)
// left behind: the cgroups (killing their processes), overlay mounts, temp
// dirs and namespaces named prboot-<pid>- of processes that no longer exist.
func Sweep() {
	rel, _ := ownCgroups()
	for key, mount := range hierarchies() {
		for _, d := range stale(filepath.Join(mount, rel[key], "prboot-*")) {
			(&cgroup{dirs: []string{d}}).remove()
		}
	}
	for _, mp := range staleMounts() {
		syscall.Unmount(mp, syscall.MNT_DETACH) //nolint:errcheck // best effort
	}
	for _, d := range stale(filepath.Join(os.TempDir(), "prboot-*")) {
		os.RemoveAll(d) //nolint:errcheck // best effort
	}
	for _, ns := range stale("/run/netns/prboot-*") {
		run(context.Background(), "ip", "netns", "del", filepath.Base(ns)) //nolint:errcheck // best effort
	}
}

// stale returns the paths matching glob whose name is prboot-<pid>-... for
// a pid that is not running.
func stale(glob string) []string {
	matches, _ := filepath.Glob(glob)
	var out []string
	for _, m := range matches {
		if !ownerAlive(filepath.Base(m)) {
			out = append(out, m)
		}
	}
	return out
}

func ownerAlive(name string) bool {
	f := strings.SplitN(name, "-", 3)
	if len(f) < 3 || f[0] != "prboot" {
		return true // not ours: leave it
	}
	pid, err := strconv.Atoi(f[1])
	return err != nil || exists("/proc/"+strconv.Itoa(pid))
}

// staleMounts lists mount points below a stale prboot- temp dir.
func staleMounts() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		rel, err := filepath.Rel(os.TempDir(), mp)
		if err == nil && !strings.HasPrefix(rel, "..") && !ownerAlive(strings.Split(rel, "/")[0]) {
			out = append(out, mp)
		}
	}
	return out
}
