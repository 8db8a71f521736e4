// Package nstest gives tests throwaway network namespaces, wired with veth
// links, and removes them when the test ends. It never touches the root
// namespace's links, routes or sysctls.
package nstest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netns"
)

// NS is a named network namespace (`ip netns add`).
type NS struct {
	Name   string
	Handle netns.NsHandle
}

var seq atomic.Int64

// RequireRoot skips the test unless it runs as root; as root, it needs
// `ip` (Tool).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to create network namespaces")
	}
	Tool(t, "ip", "iproute2")
}

// Tool returns the path of a Debian package's tool. Without it, the test
// fails when root (make test installs the package: as root nothing may
// skip) and skips otherwise.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Geteuid() == 0 {
		t.Fatalf("%s is not installed (make test installs %s)", name, pkg)
	}
	t.Skipf("%s is not installed: apt-get install %s", name, pkg)
	return ""
}

// New creates a namespace with its loopback up and IPv6 duplicate address
// detection off (addresses, link-local ones too, are usable at once),
// deleted when t ends.
func New(t testing.TB) *NS {
	t.Helper()
	RequireRoot(t)
	name := fmt.Sprintf("podroutes-test-%d-%d", os.Getpid(), seq.Add(1))
	IP(t, "netns", "add", name)
	ns := &NS{Name: name}
	t.Cleanup(func() {
		if ns.Handle.IsOpen() {
			ns.Handle.Close()
		}
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("deleting namespace %s: %v: %s", name, err, out)
		}
	})
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("opening namespace %s: %v", name, err)
	}
	ns.Handle = h
	ns.IP(t, "link", "set", "lo", "up")
	ns.Sysctl(t, "ipv6/conf/all/accept_dad", "0")
	ns.Sysctl(t, "ipv6/conf/default/accept_dad", "0")
	return ns
}

// IP runs `ip ARGS...` and fails the test if it fails.
func IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// IP runs `ip -n NS ARGS...`.
func (ns *NS) IP(t testing.TB, args ...string) string {
	t.Helper()
	return IP(t, append([]string{"-n", ns.Name}, args...)...)
}

// Bridge runs iproute2's `bridge ARGS...` in the namespace (FDB
// entries), and fails the test if it fails.
func (ns *NS) Bridge(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns.Name, "bridge"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("bridge %s in %s: %v: %s", strings.Join(args, " "), ns.Name, err, out)
	}
	return string(out)
}

// Batch runs script, ip commands one a line, with `ip -n NS -batch -`:
// one process for many routes.
func (ns *NS) Batch(t testing.TB, script string) {
	t.Helper()
	cmd := exec.Command("ip", "-n", ns.Name, "-batch", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s -batch: %v: %s", ns.Name, err, out)
	}
}

// Sysctl sets a net.* sysctl inside the namespace (they are per
// namespace), key written as a path under /proc/sys/net.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	var err error
	ns.Do(t, func() { err = os.WriteFile("/proc/sys/net/"+key, []byte(value), 0o644) })
	if err != nil {
		t.Fatalf("setting %s in %s: %v", key, ns.Name, err)
	}
}

// Veth links a's aDev with b's bDev, both up.
func Veth(t testing.TB, a *NS, aDev string, b *NS, bDev string) {
	t.Helper()
	a.IP(t, "link", "add", aDev, "type", "veth", "peer", "name", bDev, "netns", b.Name)
	a.IP(t, "link", "set", aDev, "up")
	b.IP(t, "link", "set", bDev, "up")
}

// Do runs f on a locked OS thread switched into the namespace: sockets f
// opens live there. f runs on another goroutine: it must not call t.Fatal.
func (ns *NS) Do(t testing.TB, f func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(ns.Handle); err != nil {
			errc <- err
			return
		}
		f()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: the runtime kills it when the
			// goroutine ends, so no one else runs in the namespace.
			errc <- err
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("running in namespace %s: %v", ns.Name, err)
	}
}

// Open calls open inside the namespace (kernel.Open: its sockets then live
// there) and fails the test if it fails.
func Open[T any](t testing.TB, ns *NS, open func() (T, error)) T {
	t.Helper()
	var v T
	var err error
	ns.Do(t, func() { v, err = open() })
	if err != nil {
		t.Fatalf("opening in namespace %s: %v", ns.Name, err)
	}
	return v
}
