package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/internal/nldump"
	"github.com/podroutes/podroutes/internal/nstest"
)

// killedPeers is how many off-link peers the killed applies route: enough
// that creating the tunnel's entries, the nexthop objects and the routes
// each takes many writes, so that a kill lands in the middle of each.
const killedPeers = 3000

// killPoint is a moment of an apply that creates the tunnel, told by the
// first kernel event that shows it: at is true of that event. A point
// whose window is a few microseconds wide (between two of apply's writes)
// names the link a kill inside it leaves: kills that came too late are
// tried again, until one lands inside.
type killPoint struct {
	name   string
	at     func(event) bool
	leaves string
}

// stagingName is the name a new device is created under (tunnel's
// staging), marked and renamed.
const stagingName = "podroutes-vxnew"

// The kill points, in the order apply reaches them: the device created
// under its staging name, then renamed; its first FDB entry; its first
// neighbour entry; the first nexthop object; the first route.
var killPoints = []killPoint{
	{"staging", linkNamed(stagingName), stagingName},
	{"device", linkNamed(tunnel.Name), ""},
	{"fdb", func(e event) bool { return e.kind == unix.RTM_NEWNEIGH && e.family == unix.AF_BRIDGE }, ""},
	{"neighbour", func(e event) bool { return e.kind == unix.RTM_NEWNEIGH && e.family == unix.AF_INET }, ""},
	{"nexthop", func(e event) bool { return e.kind == unix.RTM_NEWNEXTHOP }, ""},
	{"route", func(e event) bool { return e.kind == unix.RTM_NEWROUTE && e.protocol == 157 }, ""},
}

func linkNamed(name string) func(event) bool {
	return func(e event) bool { return e.kind == unix.RTM_NEWLINK && e.name == name }
}

// killTries bounds the tries of a point with a narrow window: a kill on
// the staging device's creation lands before its rename about two times
// in three here.
const killTries = 20

// TestOffLinkApplyKilled: `kill -9` of an apply that creates the tunnel,
// at each kill point, then apply again: it exits 0, check exits 0, and the
// kernel holds exactly the tunnel and routes wanted, whatever the kill
// left (no device left under its staging name, no entry, nexthop object
// or route missing or extra).
func TestOffLinkApplyKilled(t *testing.T) {
	cfg, want := offLinkConfig(t, killedPeers)
	for _, point := range killPoints {
		t.Run(point.name, func(t *testing.T) {
			ns := offLinkHost(t)
			in := []string{"ip", "netns", "exec", ns.Name}
			try := 1
			for ; ; try++ {
				landed := killApply(t, ns, in, cfg, point)
				if landed && (point.leaves == "" || slices.Contains(links(t, ns), point.leaves)) {
					break
				}
				if try == killTries {
					t.Fatalf("%d kills at the %s kill point all came too late (to leave %q)", try, point.name, point.leaves)
				}
				// Too late: the apply finished, or what the kill left is
				// the device, and on it all the rest. Start again from
				// nothing.
				expect(t, "remove before another try", runBin(t, nil, in, "remove", "--all"), 0)
			}
			t.Logf("killed at the %s kill point (try %d), leaving %s", point.name, try, tunnelState(t, ns))

			expect(t, "apply after the kill", runBin(t, nil, in, "apply", "--config", cfg), 0,
				fmt.Sprintf("%d routes in place", killedPeers))
			expect(t, "check after the apply", runBin(t, nil, in, "check", "--config", cfg), 0)
			want.holds(t, ns)
		})
	}
}

// killApply starts `podroutes apply --config cfg` in ns (in: the prefix
// that runs it there) and kills it with SIGKILL at point; it reports
// false when the apply ended before the point was seen.
func killApply(t *testing.T, ns *nstest.NS, in []string, cfg string, point killPoint) bool {
	t.Helper()
	events := subscribe(t, ns)
	defer events.close()
	// `ip netns exec` execs podroutes: the process is apply's.
	p := startBin(t, nil, in, "apply", "--config", cfg)
	if err := events.until(point.at, p.done); errors.Is(err, errEndedFirst) {
		t.Logf("the apply ended before the %s kill point was seen; again", point.name)
		return false
	} else if err != nil {
		t.Fatalf("waiting for the %s kill point: %v\n%s", point.name, err, p.out.String())
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); errors.Is(err, os.ErrProcessDone) {
		<-p.done
		t.Logf("the apply ended as the %s kill point was seen; again", point.name)
		return false
	} else if err != nil {
		t.Fatalf("killing apply at the %s kill point: %v", point.name, err)
	}
	<-p.done
	st, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && st.Exited() && st.ExitStatus() == 0 {
		t.Logf("the apply ended as the %s kill point was seen; again", point.name)
		return false
	}
	if !ok || st.Signal() != syscall.SIGKILL {
		t.Fatalf("apply at the %s kill point: %v, want killed by SIGKILL\n%s", point.name, p.cmd.ProcessState, p.out.String())
	}
	return true
}

// offLinkHost is a namespace like a cloud node whose peers are all on
// other networks: eth0 10.240.0.20/24 (its peer namespace answers
// nothing) and a default route via 10.240.0.1, onlink.
func offLinkHost(t *testing.T) *nstest.NS {
	ns, peer := nstest.New(t), nstest.New(t)
	nstest.Veth(t, ns, "eth0", peer, "eth0")
	ns.IP(t, "addr", "add", "10.240.0.20/24", "dev", "eth0")
	ns.IP(t, "route", "add", "default", "via", "10.240.0.1", "dev", "eth0", "onlink")
	return ns
}

// offLinkState is the kernel state an apply of offLinkConfig leaves:
// the lines `ip` and `bridge` show of each, sorted.
type offLinkState struct {
	routes, nexthops, neighbours, fdb []string
}

// offLinkConfig writes a routes.yaml for node-0 (10.240.0.20) with
// offLink: vxlan and n peers, all on 10.241.0.0/16, node-I's pod subnet
// the I-th /24 from 10.100.0.0, and returns it with what it makes.
func offLinkConfig(t *testing.T, n int) (string, offLinkState) {
	var b strings.Builder
	b.WriteString("node: node-0\nmetric: 100\noffLink: vxlan\naddress: 10.240.0.20\nroutes:\n")
	var s offLinkState
	for i := range n {
		dst := netip.AddrFrom4([4]byte{10, byte(100 + i/256), byte(i % 256), 0})
		node := netip.AddrFrom4([4]byte{10, 241, byte(i / 250), byte(i%250 + 1)})
		fmt.Fprintf(&b, "  - destination: %s/24\n    gateway: %s\n    peer: node-%d\n", dst, node, i+1)
		s.routes = append(s.routes, fmt.Sprintf("%s/24 via %s dev %s metric 100 onlink", dst, dst, tunnel.Name))
		s.nexthops = append(s.nexthops, fmt.Sprintf("via %s dev %s scope link proto 157 onlink", dst, tunnel.Name))
		s.neighbours = append(s.neighbours, fmt.Sprintf("%s lladdr %s PERMANENT", dst, tunnel.MAC(node)))
		s.fdb = append(s.fdb, fmt.Sprintf("%s dst %s self permanent", tunnel.MAC(node), node))
	}
	for _, l := range [][]string{s.routes, s.nexthops, s.neighbours, s.fdb} {
		slices.Sort(l)
	}
	return writeConfig(t, b.String()), s
}

// holds fails the test unless ns holds exactly want: the tunnel device,
// podroutes', and no unfinished creation beside it; its entries, the
// nexthop objects and the routes of protocol 157.
func (want offLinkState) holds(t *testing.T, ns *nstest.NS) {
	t.Helper()
	if links, want := links(t, ns), []string{"lo", "eth0", tunnel.Name}; !slices.Equal(links, want) {
		t.Errorf("links %q, want %q", links, want)
	}
	dev := ns.IP(t, "-d", "link", "show", tunnel.Name)
	for _, w := range []string{"alias " + tunnel.Alias, "vxlan id 157 local 10.240.0.20 ", " nolearning ", ",UP,"} {
		if !strings.Contains(dev, w) {
			t.Errorf("%s lacks %q:\n%s", tunnel.Name, w, dev)
		}
	}
	got := offLinkState{
		routes:     sorted(routes(t, ns)),
		nexthops:   sorted(ns.IP(t, "nexthop", "show", "proto", "157")),
		neighbours: sorted(ns.IP(t, "neigh", "show", "dev", tunnel.Name)),
		fdb:        sorted(ns.Bridge(t, "fdb", "show", "dev", tunnel.Name)),
	}
	// A nexthop object's id differs from one apply to the next.
	for i, l := range got.nexthops {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "id" {
			got.nexthops[i] = strings.Join(f[2:], " ")
		}
	}
	slices.Sort(got.nexthops)
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"routes", got.routes, want.routes},
		{"nexthop objects", got.nexthops, want.nexthops},
		{"neighbour entries", got.neighbours, want.neighbours},
		{"fdb entries", got.fdb, want.fdb},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%d %s, want %d: %s", len(c.got), c.what, len(c.want), firstDiff(c.got, c.want))
		}
	}
}

// lines is out's lines, trimmed, without empty ones.
func lines(out string) []string {
	var ls []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// sorted is out's lines, sorted.
func sorted(out string) []string {
	ls := lines(out)
	slices.Sort(ls)
	return ls
}

// firstDiff names the first line of got or want, both sorted, that the
// other lacks.
func firstDiff(got, want []string) string {
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			return fmt.Sprintf("lacks %q", w)
		}
	}
	for _, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok {
			return fmt.Sprintf("has %q, not wanted", g)
		}
	}
	return "the same lines, some twice"
}

// tunnelState says what of the tunnel and the routes ns holds, for the
// log: which devices, how many entries, nexthop objects and routes.
func tunnelState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	devs := slices.DeleteFunc(links(t, ns), func(l string) bool { return l == "lo" || l == "eth0" })
	count := func(args ...string) int { return len(sorted(ns.IP(t, args...))) }
	neighbours, fdb := 0, 0
	if slices.Contains(devs, tunnel.Name) {
		neighbours = count("neigh", "show", "dev", tunnel.Name)
		fdb = len(sorted(ns.Bridge(t, "fdb", "show", "dev", tunnel.Name)))
	}
	return fmt.Sprintf("devices %q, %d neighbour and %d fdb entries, %d nexthop objects, %d routes",
		devs, neighbours, fdb, count("nexthop", "show", "proto", "157"), count("route", "show", "proto", "157"))
}

// links is the names of ns's links, in the kernel's order (read through
// netlink: `ip` may add a warning of its own to its output).
func links(t *testing.T, ns *nstest.NS) []string {
	t.Helper()
	h, err := netlink.NewHandleAt(ns.Handle)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var list []netlink.Link
	if err := nldump.Retry(func() (err error) { list, err = h.LinkList(); return err }); err != nil {
		t.Fatalf("listing %s's links: %v", ns.Name, err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Attrs().Name)
	}
	return names
}

// event is what a kill point looks at of a kernel notification.
type event struct {
	kind     uint16 // RTM_NEWLINK, ...
	name     string // a link's
	family   int    // a neighbour entry's: AF_INET, AF_BRIDGE (FDB), ...
	protocol int    // a route's
}

// events are the kernel's notifications of links, neighbour and FDB
// entries, nexthop objects and IPv4 routes in a namespace, in the order
// the kernel made the changes.
type events struct {
	s *nl.NetlinkSocket
}

// rtnlgrpNexthop is linux/rtnetlink.h's RTNLGRP_NEXTHOP.
const rtnlgrpNexthop = 32

// subscribe opens ns's notifications, closed when the test ends.
func subscribe(t *testing.T, ns *nstest.NS) *events {
	t.Helper()
	s, err := nl.SubscribeAt(ns.Handle, netns.None(), unix.NETLINK_ROUTE,
		unix.RTNLGRP_LINK, unix.RTNLGRP_NEIGH, unix.RTNLGRP_IPV4_ROUTE, rtnlgrpNexthop)
	if err != nil {
		t.Fatalf("subscribing to %s's changes: %v", ns.Name, err)
	}
	// Room for the flood of entries that follows the event waited for:
	// an overflow before it would lose it.
	if err := s.SetReceiveBufferSize(64<<20, true); err != nil {
		t.Fatal(err)
	}
	e := &events{s: s}
	t.Cleanup(e.close)
	return e
}

// until reads notifications until one is at's, and returns nil; or an
// error once done is closed first (the process watched has ended), or if
// reading fails.
func (e *events) until(at func(event) bool, done <-chan struct{}) error {
	found := make(chan error, 1)
	go func() {
		for {
			msgs, _, err := e.s.Receive()
			if err != nil {
				found <- fmt.Errorf("reading notifications: %w", err)
				return
			}
			for _, m := range msgs {
				if at(parse(m.Header.Type, m.Data)) {
					found <- nil
					return
				}
			}
		}
	}()
	select {
	case err := <-found:
		return err
	case <-done:
		e.close()
		if <-found == nil {
			return nil
		}
		return errEndedFirst
	}
}

// errEndedFirst: the apply ended before the kill point (on a loaded
// machine it can outrun the reader of the notifications): the kill is
// tried again.
var errEndedFirst = errors.New("the process ended first")

func (e *events) close() { e.s.Close() }

// parse reads what an event is of a notification of type kind.
func parse(kind uint16, data []byte) event {
	e := event{kind: kind}
	switch kind {
	case unix.RTM_NEWLINK:
		if l, err := netlink.LinkDeserialize(&unix.NlMsghdr{Type: kind}, data); err == nil {
			e.name = l.Attrs().Name
		}
	case unix.RTM_NEWNEIGH:
		if len(data) > 0 {
			e.family = int(data[0]) // ndmsg.ndm_family
		}
	case unix.RTM_NEWROUTE:
		if len(data) >= unix.SizeofRtMsg {
			e.protocol = int(data[5]) // rtmsg.rtm_protocol
		}
	}
	return e
}
