package inventory

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// at is a creation time, s seconds into the test's day.
func at(s int) time.Time { return time.Date(2026, 12, 1, 10, 0, s, 0, time.UTC) }

// kn is a Node created at second s, with InternalIPs and pod CIDRs
// separated by spaces.
func kn(name string, s int, ips, cidrs string) Node {
	n := Node{Name: name, Created: at(s), PodCIDRs: strings.Fields(cidrs)}
	for _, ip := range strings.Fields(ips) {
		n.Addresses = append(n.Addresses, NodeAddress{Type: "InternalIP", Address: ip})
	}
	return n
}

// admitted prints what Admit made: each host with its subnets, then each
// problem (only the Node's name, if names).
func admitted(nodes []Node, names bool) string {
	inv, probs := Admit("kubernetes", nodes)
	var b strings.Builder
	for _, h := range inv.Hosts {
		fmt.Fprintf(&b, "%s %v %v\n", h.Name, h.Addrs, h.Subnets)
	}
	for _, p := range probs {
		if names {
			fmt.Fprintf(&b, "! %s\n", p.Node)
		} else {
			fmt.Fprintf(&b, "! %s\n", p)
		}
	}
	return b.String()
}

func TestAdmit(t *testing.T) {
	node0 := kn("node-0", 0, "10.240.0.20", "10.200.0.0/24")
	node1 := kn("node-1", 1, "10.240.0.21", "10.200.1.0/24")
	for _, c := range []struct {
		name  string
		nodes []Node
		want  string
	}{
		{"all good, dual stack", []Node{node1, kn("node-0", 0, "fd00::20 10.240.0.20", "10.200.0.0/24 fd00:200::/64")},
			"node-0 [10.240.0.20 fd00::20] [10.200.0.0/24 fd00:200::/64]\nnode-1 [10.240.0.21] [10.200.1.0/24]\n"},
		{"no InternalIP: left out", []Node{node0, {Name: "node-1", Created: at(1), PodCIDRs: []string{"10.200.1.0/24"},
			Addresses: []NodeAddress{{"ExternalIP", "1.2.3.4"}, {"Hostname", "node-1"}}}},
			"node-0 [10.240.0.20] [10.200.0.0/24]\n! node \"node-1\": has no InternalIP address (not routed)\n"},
		{"malformed address: left out", []Node{node0, kn("node-1", 1, "10.240.0.300", "10.200.1.0/24")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\n! node \"node-1\": address \"10.240.0.300\" is not an IP address (not routed)\n"},
		{"two IPv4 addresses: left out", []Node{kn("node-0", 0, "10.240.0.20 10.240.0.21", "10.200.0.0/24")},
			"! node \"node-0\": two IPv4 addresses, 10.240.0.20 and 10.240.0.21: want at most one per family (not routed)\n"},
		{"malformed podCIDR: kept, not routed", []Node{node0, kn("node-1", 1, "10.240.0.21", "10.200.1.0/240")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\nnode-1 [10.240.0.21] []\n" +
				"! node \"node-1\": subnet \"10.200.1.0/240\" is not a prefix like 10.200.1.0/24 (not routed)\n"},
		{"no podCIDR yet", []Node{node0, kn("node-1", 1, "10.240.0.21", "")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\nnode-1 [10.240.0.21] []\n! node \"node-1\": no podCIDR yet (not routed)\n"},
		{"IPv6 podCIDR on an IPv4 Node", []Node{kn("node-0", 0, "10.240.0.20", "fd00:200::/64")},
			"node-0 [10.240.0.20] []\n! node \"node-0\": IPv6 subnet fd00:200::/64 on a host without an IPv6 address (not routed)\n"},
		{"link-local IPv6", []Node{kn("node-0", 0, "fe80::1", "fd00:200::/64")},
			"node-0 [fe80::1] []\n! node \"node-0\": address fe80::1 is link-local: the routes to its IPv6 subnets would need a device, and Nodes name none (not routed)\n"},
		{"the older keeps a subnet, whatever the names", []Node{kn("node-0", 5, "10.240.0.20", "10.200.1.0/24"), node1},
			"node-0 [10.240.0.20] []\nnode-1 [10.240.0.21] [10.200.1.0/24]\n" +
				"! node \"node-0\": duplicate subnet 10.200.1.0/24 (also Node \"node-1\", created first) (not routed)\n"},
		{"same second: the lower name", []Node{kn("node-b", 1, "10.240.0.20", "10.200.1.0/24"), kn("node-a", 1, "10.240.0.21", "10.200.1.0/24")},
			"node-a [10.240.0.21] [10.200.1.0/24]\nnode-b [10.240.0.20] []\n" +
				"! node \"node-b\": duplicate subnet 10.200.1.0/24 (also Node \"node-a\", created first) (not routed)\n"},
		{"overlap: a refused subnet refuses nothing", []Node{
			kn("a", 0, "10.240.0.20", "10.200.0.0/24"), kn("b", 1, "10.240.0.21", "10.200.0.0/23"), kn("c", 2, "10.240.0.22", "10.200.1.0/24")},
			"a [10.240.0.20] [10.200.0.0/24]\nb [10.240.0.21] []\nc [10.240.0.22] [10.200.1.0/24]\n" +
				"! node \"b\": subnet 10.200.0.0/23 overlaps 10.200.0.0/24 of Node \"a\", created first (not routed)\n"},
		{"overlap of an older subnet inside", []Node{kn("a", 0, "10.240.0.20", "10.200.1.0/24"), kn("b", 1, "10.240.0.21", "10.200.0.0/16")},
			"a [10.240.0.20] [10.200.1.0/24]\nb [10.240.0.21] []\n" +
				"! node \"b\": subnet 10.200.0.0/16 overlaps 10.200.1.0/24 of Node \"a\", created first (not routed)\n"},
		{"duplicate address: the newer left out", []Node{node0, kn("node-1", 1, "10.240.0.20", "10.200.1.0/24")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\n! node \"node-1\": duplicate address 10.240.0.20 (also Node \"node-0\", created first) (not routed)\n"},
		{"address in an older subnet: left out", []Node{node0, kn("node-1", 1, "10.200.0.9", "10.200.1.0/24")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\n! node \"node-1\": address 10.200.0.9 is in subnet 10.200.0.0/24 of Node \"node-0\", created first (not routed)\n"},
		{"subnet around an older address", []Node{node0, kn("node-1", 1, "10.240.0.21", "10.240.0.0/24")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\nnode-1 [10.240.0.21] []\n" +
				"! node \"node-1\": subnet 10.240.0.0/24 contains the host's own address 10.240.0.21 (not routed)\n"},
		{"subnet around another's address", []Node{node0, kn("node-1", 1, "10.240.1.21", "10.240.0.0/24")},
			"node-0 [10.240.0.20] [10.200.0.0/24]\nnode-1 [10.240.1.21] []\n" +
				"! node \"node-1\": subnet 10.240.0.0/24 contains the address 10.240.0.20 of Node \"node-0\", created first (not routed)\n"},
		{"none", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := admitted(c.nodes, false); got != c.want {
				t.Errorf("got:\n%swant:\n%s", got, c.want)
			}
		})
	}
}

// TestAdmitBruteForce compares Admit with the greedy definition, O(n²), on
// random Nodes crowded into a small address space, and checks that the
// order Nodes come in changes nothing.
func TestAdmitBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	addr := func() string { return fmt.Sprintf("10.0.%d.%d", rng.IntN(4), rng.IntN(256)) }
	for round := range 500 {
		nodes := make([]Node, 1+rng.IntN(14))
		for i := range nodes {
			a := netip.MustParseAddr(addr())
			p, _ := a.Prefix(32 - rng.IntN(11))
			nodes[i] = kn(fmt.Sprintf("n%02d", i), rng.IntN(5), addr(), p.String())
		}
		want := greedy(nodes)
		got := admitted(nodes, true)
		if got != want {
			t.Fatalf("round %d: Admit:\n%sthe definition:\n%snodes: %+v", round, got, want, nodes)
		}
		rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
		if again := admitted(nodes, true); again != got {
			t.Fatalf("round %d: Admit depends on the order of the Nodes:\n%sthen\n%s", round, got, again)
		}
	}
}

// greedy is Admit's rule spelled out for the Nodes TestAdmitBruteForce
// makes (one address and one subnet each, always well-formed): in order of
// creation then name, a Node is left out if its address is another's or
// in a subnet routed already, and loses its subnet if that overlaps one
// routed already or contains an address admitted already (or its own).
// It prints hosts and the names of Nodes with problems (not messages).
func greedy(nodes []Node) string {
	order := slices.Clone(nodes)
	slices.SortFunc(order, func(a, b Node) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	type host struct {
		name   string
		addr   netip.Addr
		subnet netip.Prefix // invalid: none
	}
	var in []host
	var bad []string
	for _, n := range order {
		a := netip.MustParseAddr(n.Addresses[0].Address)
		p := netip.MustParsePrefix(n.PodCIDRs[0]).Masked()
		left := false
		for _, h := range in {
			left = left || h.addr == a || h.subnet.IsValid() && h.subnet.Contains(a)
		}
		if left {
			bad = append(bad, n.Name)
			continue
		}
		ok := !p.Contains(a)
		for _, h := range in {
			ok = ok && !(h.subnet.IsValid() && h.subnet.Overlaps(p)) && !p.Contains(h.addr)
		}
		if !ok {
			bad = append(bad, n.Name)
			p = netip.Prefix{}
		}
		in = append(in, host{n.Name, a, p})
	}
	slices.SortFunc(in, func(a, b host) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	for _, h := range in {
		subnets := []netip.Prefix{}
		if h.subnet.IsValid() {
			subnets = append(subnets, h.subnet)
		}
		fmt.Fprintf(&b, "%s %v %v\n", h.name, []netip.Addr{h.addr}, subnets)
	}
	slices.Sort(bad)
	for _, name := range bad {
		fmt.Fprintf(&b, "! %s\n", name)
	}
	return b.String()
}
