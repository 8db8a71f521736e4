package boot

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cgroup is one directory per mounted hierarchy that systemd-nspawn needs
// (the named v1 "systemd" one and the unified v2 one), made under this
// process's own cgroups. Without systemd on the host, nspawn --keep-unit
// takes the cgroup it is started in as the container's.
type cgroup struct {
	dirs []string
}

// newCgroup makes the directories called name.
func newCgroup(name string) (*cgroup, error) {
	rel, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	cg := &cgroup{}
	for key, mount := range hierarchies() {
		d := filepath.Join(mount, rel[key], name)
		if err := os.Mkdir(d, 0o755); err != nil {
			cg.remove()
			return nil, fmt.Errorf("creating cgroup: %w", err)
		}
		cg.dirs = append(cg.dirs, d)
	}
	if len(cg.dirs) == 0 {
		return nil, fmt.Errorf("creating cgroup: no cgroup hierarchy mounted under /sys/fs/cgroup")
	}
	return cg, nil
}

// hierarchies maps "" (v2) and "name=systemd" (v1) to their mount points,
// for those mounted.
func hierarchies() map[string]string {
	h := map[string]string{}
	for _, m := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(m, "cgroup.controllers")); err == nil {
			h[""] = m
			break
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/systemd/cgroup.procs"); err == nil {
		h["name=systemd"] = "/sys/fs/cgroup/systemd"
	}
	return h
}

// ownCgroups maps "" (v2) and "name=systemd" to this process's cgroup paths.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("reading own cgroups: %w", err)
	}
	defer f.Close()
	rel := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 && (parts[1] == "" || parts[1] == "name=systemd") {
			rel[parts[1]] = parts[2]
		}
	}
	return rel, sc.Err()
}

// enterScript is a shell prefix that moves the shell into the cgroup
// before it execs the real command ("$@").
func (cg *cgroup) enterScript() string {
	var b strings.Builder
	for _, d := range cg.dirs {
		fmt.Fprintf(&b, "echo $$ > %q/cgroup.procs && ", d)
	}
	return b.String() + `exec "$@"`
}

// remove kills every process left in the cgroup and removes its directories,
// deepest first.
func (cg *cgroup) remove() {
	for _, d := range cg.dirs {
		if _, err := os.Stat(filepath.Join(d, "cgroup.kill")); err == nil {
			os.WriteFile(filepath.Join(d, "cgroup.kill"), []byte("1"), 0) //nolint:errcheck // best effort
		} else {
			killTasks(d)
		}
	}
	for _, d := range cg.dirs {
		for i := 0; i < 50 && rmTree(d) != nil; i++ {
			time.Sleep(100 * time.Millisecond) // killed processes take a moment to leave
		}
	}
}

// killTasks SIGKILLs the processes of a v1 cgroup tree.
func killTasks(dir string) {
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error { //nolint:errcheck // best effort
		if err == nil && e.Name() == "cgroup.procs" {
			for _, pid := range pids(p) {
				killPID(pid)
			}
		}
		return nil
	})
}

// rmTree removes a cgroup directory tree bottom-up (rmdir only: cgroupfs).
func rmTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	for _, e := range entries {
		if e.IsDir() {
			rmTree(filepath.Join(dir, e.Name())) //nolint:errcheck // dir's own rmdir reports
		}
	}
	return os.Remove(dir)
}
