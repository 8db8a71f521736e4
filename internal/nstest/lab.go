package nstest

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// Pod puts a pod behind host: a namespace whose eth0 (addr, a prefix such
// as 10.200.2.2/24) is a veth to host's "pods" (gw, on the same subnet),
// with its default route via gw; host forwards IPv4 and IPv6.
func Pod(t testing.TB, host *NS, gw, addr string) *NS {
	t.Helper()
	pod := New(t)
	Veth(t, host, "pods", pod, "eth0")
	host.Sysctl(t, "ipv4/ip_forward", "1")
	host.Sysctl(t, "ipv6/conf/all/forwarding", "1")
	PodAddr(t, host, pod, gw, addr)
	return pod
}

// PodAddr gives pod, Pod's, another address addr (of the other family, a
// dual-stack pod), with gw on host's side and pod's default route via it.
func PodAddr(t testing.TB, host, pod *NS, gw, addr string) {
	t.Helper()
	host.IP(t, "addr", "add", fmt.Sprintf("%s/%d", gw, netip.MustParsePrefix(addr).Bits()), "dev", "pods")
	pod.IP(t, "addr", "add", addr, "dev", "eth0")
	pod.IP(t, "route", "add", "default", "via", gw)
}

// MoveToBridge moves address addr (a prefix) of ns from dev onto a new
// bridge br with dev as its port, the way a host that starts running VMs
// or containers on a bridge is reconfigured; dev's neighbour entries go
// too, as they would once they expired.
func MoveToBridge(t testing.TB, ns *NS, dev, br, addr string) {
	t.Helper()
	ns.IP(t, "link", "add", br, "type", "bridge")
	ns.IP(t, "link", "set", br, "up")
	ns.IP(t, "addr", "del", addr, "dev", dev)
	ns.IP(t, "link", "set", dev, "master", br)
	ns.IP(t, "addr", "add", addr, "dev", br)
	ns.IP(t, "neigh", "flush", "dev", dev)
}

// Reach connects from namespace from to a TCP echo server in to, at addr,
// and reports whether a line made the round trip within 2 s.
func Reach(t testing.TB, from, to *NS, addr string) error {
	t.Helper()
	var ln net.Listener
	var err error
	to.Do(t, func() { ln, err = net.Listen("tcp", net.JoinHostPort(addr, "0")) })
	if err != nil {
		t.Fatalf("listening in %s: %v", to.Name, err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Fprint(c, line)
	}()
	var c net.Conn
	from.Do(t, func() { c, err = net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second) })
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintln(c, "ping")
	got, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && got != "ping\n" {
		err = fmt.Errorf("echo %q", got)
	}
	return err
}

// Switch is a namespace holding a bridge, br0, up: a lab's network
// segment, whose ports Plug adds.
func Switch(t testing.TB) *NS {
	t.Helper()
	sw := New(t)
	sw.IP(t, "link", "add", "br0", "type", "bridge")
	sw.IP(t, "link", "set", "br0", "up")
	return sw
}

// Plug links host's dev to a new port of sw's br0, both up.
func Plug(t testing.TB, sw, host *NS, dev string) {
	t.Helper()
	port := fmt.Sprintf("p%d", seq.Add(1))
	Veth(t, sw, port, host, dev)
	sw.IP(t, "link", "set", port, "master", "br0")
}
