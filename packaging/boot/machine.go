package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine is a writable instance of a root file system: an overlay over the
// pristine cache, booted (and rebooted) with systemd-nspawn.
type Machine struct {
	Root    string // the merged overlay: write files here before Boot
	dir     string
	name    string
	runs    int
	cg      *cgroup   // of the running nspawn
	nspawn  *exec.Cmd // while booted
	exited  chan struct{}
	leader  int // the container's PID 1, as seen from here
	console string
}

// NewMachine mounts a fresh overlay over base.
func NewMachine(base string) (*Machine, error) {
	dir, err := os.MkdirTemp("", prefix())
	if err != nil {
		return nil, fmt.Errorf("creating machine dir: %w", err)
	}
	m := &Machine{Root: filepath.Join(dir, "root"), dir: dir, name: filepath.Base(dir)}
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			m.Close()
			return nil, fmt.Errorf("creating machine dir: %w", err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", base, dir, dir)
	if err := syscall.Mount("overlay", m.Root, "overlay", 0, opts); err != nil {
		m.Close()
		return nil, fmt.Errorf("mounting overlay on %s: %w", m.Root, err)
	}
	return m, nil
}

// nspawnCmd returns systemd-nspawn ARGS started in a new cgroup of its own.
func (m *Machine) nspawnCmd(ctx context.Context, args ...string) (*exec.Cmd, error) {
	m.runs++
	cg, err := newCgroup(fmt.Sprintf("%s-%d", m.name, m.runs))
	if err != nil {
		return nil, err
	}
	m.cg = cg
	base := []string{"-q", "-D", m.Root, "-M", "podtest"}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		base = append(base, "--register=no", "--keep-unit") // no systemd, no machined here
	}
	full := append([]string{"-c", cg.enterScript(), "sh", "systemd-nspawn"}, append(base, args...)...)
	cmd := exec.CommandContext(ctx, "sh", full...)
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	return cmd, nil
}

// Run runs a command in the (not booted) machine with nspawn --pipe, binds
// being SRC:DST pairs mounted read-only, and returns its output.
func (m *Machine) Run(ctx context.Context, binds []string, args ...string) (string, error) {
	nargs := []string{"--pipe"}
	for _, b := range binds {
		nargs = append(nargs, "--bind-ro="+b)
	}
	cmd, err := m.nspawnCmd(ctx, append(append(nargs, "--"), args...)...)
	if err != nil {
		return "", err
	}
	defer m.cg.remove()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in machine: %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Boot boots the machine with its network in namespace netns and returns
// once its systemd listens (before boot finishes: see WaitBooted).
func (m *Machine) Boot(ctx context.Context, netns string) error {
	if m.nspawn != nil {
		return errors.New("booting: already booted")
	}
	cmd, err := m.nspawnCmd(context.Background(), "-b", "--capability=CAP_NET_ADMIN",
		"--network-namespace-path=/run/netns/"+netns)
	if err != nil {
		return err
	}
	m.console = filepath.Join(m.dir, fmt.Sprintf("console-%d.log", m.runs))
	log, err := os.Create(m.console)
	if err != nil {
		m.cg.remove()
		return fmt.Errorf("booting: %w", err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		m.cg.remove()
		return fmt.Errorf("booting: %w", err)
	}
	m.nspawn, m.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(m.exited) }() //nolint:errcheck // exit seen via m.exited
	for m.leader == 0 || !exists(m.InRoot("/run/systemd/private")) {
		if m.leader == 0 {
			m.leader = m.findLeader()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("booting: systemd did not come up: %w\n%s", ctx.Err(), m.Console())
		case <-m.exited:
			return fmt.Errorf("booting: systemd-nspawn exited: %s\n%s", cmd.ProcessState, m.Console())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// findLeader returns the PID of the process in m's cgroup tree that is PID 1
// of its own PID namespace, or 0.
func (m *Machine) findLeader() int {
	leader := 0
	filepath.WalkDir(m.cg.dirs[0], func(p string, e os.DirEntry, err error) error { //nolint:errcheck // 0 if none
		if err != nil || e.Name() != "cgroup.procs" {
			return nil
		}
		for _, pid := range pids(p) {
			if isNamespaceInit(pid) {
				leader = pid
				return filepath.SkipAll
			}
		}
		return nil
	})
	return leader
}

// isNamespaceInit tells whether pid is PID 1 in its innermost PID namespace.
func isNamespaceInit(pid int) bool {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "NSpid:" {
			return f[len(f)-1] == "1"
		}
	}
	return false
}

// InRoot is path inside the booted machine, seen from here.
func (m *Machine) InRoot(path string) string {
	return fmt.Sprintf("/proc/%d/root%s", m.leader, path)
}

// Exec runs a command inside the booted machine (all its namespaces) and
// returns its stdout; the error carries stderr and the exit status.
func (m *Machine) Exec(ctx context.Context, args ...string) (string, error) {
	if m.leader == 0 {
		return "", errors.New("exec: machine not booted")
	}
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(m.leader),
		"-m", "-u", "-i", "-n", "-p", "--"}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("in machine: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), err
}

// Shutdown powers the machine off and waits for nspawn to exit; SIGTERM
// twice, then SIGKILL, if it does not. The cgroup goes with it.
func (m *Machine) Shutdown(ctx context.Context) error {
	if m.nspawn == nil {
		return nil
	}
	defer func() { m.nspawn, m.leader = nil, 0; m.cg.remove() }()
	var err error
	if _, perr := m.Exec(ctx, "systemctl", "--no-block", "poweroff"); perr != nil {
		syscall.Kill(m.leader, syscall.Signal(38)) //nolint:errcheck // SIGRTMIN+4 (glibc): poweroff
	}
	for _, sig := range []syscall.Signal{0, syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL} {
		if sig != 0 {
			err = fmt.Errorf("shutdown: nspawn still running, sent %v", sig)
			m.nspawn.Process.Signal(sig) //nolint:errcheck // exit checked below
		}
		select {
		case <-m.exited:
			return err
		case <-time.After(30 * time.Second):
		}
	}
	return errors.New("shutdown: nspawn survived SIGKILL")
}

// Console is what the booted machine wrote to its console.
func (m *Machine) Console() string {
	b, _ := os.ReadFile(m.console)
	return string(b)
}

// Close shuts the machine down if needed, unmounts the overlay and removes
// the machine's directory.
func (m *Machine) Close() {
	m.Shutdown(context.Background()) //nolint:errcheck // best effort
	if err := syscall.Unmount(m.Root, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL {
		return // still mounted: removing would reach into the overlay
	}
	os.RemoveAll(m.dir) //nolint:errcheck // best effort
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// pids reads a cgroup.procs file.
func pids(file string) []int {
	b, _ := os.ReadFile(file)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

func killPID(pid int) { syscall.Kill(pid, syscall.SIGKILL) } //nolint:errcheck // best effort
