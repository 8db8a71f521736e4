package plan

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/config"
)

func host(name, addrs, subnets string) inventory.Host {
	h := inventory.Host{Name: name}
	for _, a := range strings.Fields(addrs) {
		h.Addrs = append(h.Addrs, netip.MustParseAddr(a))
	}
	for _, s := range strings.Fields(subnets) {
		h.Subnets = append(h.Subnets, netip.MustParsePrefix(s))
	}
	return h
}

// show prints a plan one route a line: "host: dst via gw (peer)".
func show(nodes []Node) string {
	var b strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&b, "%s metric %d file %s\n", n.Config.Node, n.Config.Metric, n.NetworkFile)
		for _, r := range n.Config.Routes {
			fmt.Fprintf(&b, "  %s via %s (%s)\n", r.Destination, r.Gateway, r.Peer)
		}
	}
	return b.String()
}

func TestMake(t *testing.T) {
	inv := inventory.Inventory{Source: "m.txt", Hosts: []inventory.Host{
		host("server", "10.0.0.1 fd00::1", ""),
		host("b", "10.0.0.3", "10.2.0.0/24"),
		host("a", "10.0.0.2 fd00::2", "10.1.0.0/24 fd01::/64 10.1.1.0/24"),
		host("v6", "fd00::4", "fd04::/64"),
	}}
	inv.Hosts[1].Metric = 7
	inv.Hosts[1].NetworkFile = "20-b.network"
	nodes, err := collect(inv, Options{NetworkFile: "10-x.network"})
	if err != nil {
		t.Fatal(err)
	}
	want := `server metric 100 file 10-x.network
  10.1.0.0/24 via 10.0.0.2 (a)
  10.1.1.0/24 via 10.0.0.2 (a)
  10.2.0.0/24 via 10.0.0.3 (b)
  fd01::/64 via fd00::2 (a)
  fd04::/64 via fd00::4 (v6)
b metric 7 file 20-b.network
  10.1.0.0/24 via 10.0.0.2 (a)
  10.1.1.0/24 via 10.0.0.2 (a)
a metric 100 file 10-x.network
  10.2.0.0/24 via 10.0.0.3 (b)
  fd04::/64 via fd00::4 (v6)
v6 metric 100 file 10-x.network
  fd01::/64 via fd00::2 (a)
`
	if got := show(nodes); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestOnly(t *testing.T) {
	inv := inventory.Inventory{Source: "m.txt", Hosts: []inventory.Host{
		host("node-1", "10.0.0.1", "10.1.0.0/24"),
		host("node-10", "10.0.0.10", "10.10.0.0/24"),
	}}
	for _, name := range []string{"node-1", "NODE-1"} {
		nodes, err := collect(inv, Options{Only: []string{name}})
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 1 || nodes[0].Config.Node != "node-1" {
			t.Fatalf("--node %s selected %s", name, show(nodes))
		}
	}
	_, err := collect(inv, Options{Only: []string{"node-2", "node-1", "zz"}})
	if err == nil || err.Error() != `m.txt: no host named "node-2", "zz"` {
		t.Errorf("unknown hosts: got %v", err)
	}
}

// TestGuest: a host outside the inventory routes to every subnet, of
// either family, and takes the default network file.
func TestGuest(t *testing.T) {
	inv := inventory.Inventory{Source: "nodes", Hosts: []inventory.Host{
		host("b", "10.0.0.3", "10.2.0.0/24"),
		host("a", "10.0.0.2 fd00::2", "10.1.0.0/24 fd01::/64"),
		host("server", "10.0.0.1", ""),
	}}
	want := `server metric 100 file 10-x.network
  10.1.0.0/24 via 10.0.0.2 (a)
  10.2.0.0/24 via 10.0.0.3 (b)
  fd01::/64 via fd00::2 (a)
`
	if got := show([]Node{Guest(inv, "server", Options{NetworkFile: "10-x.network"})}); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// collect plans every selected host at once.
func collect(inv inventory.Inventory, opts Options) ([]Node, error) {
	nodes, err := Stream(inv, opts)
	if err != nil {
		return nil, err
	}
	return slices.Collect(nodes), nil
}

// bigInventory is n hosts, each with a /24 pod subnet.
func bigInventory(n int) inventory.Inventory {
	inv := inventory.Inventory{Source: "big.txt", Hosts: make([]inventory.Host, n)}
	for i := range inv.Hosts {
		inv.Hosts[i] = inventory.Host{
			Name:    fmt.Sprintf("node-%d", i),
			Addrs:   []netip.Addr{netip.AddrFrom4([4]byte{10, 240, byte(i >> 8), byte(i)})},
			Subnets: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + i>>8), byte(i), 0}), 24)},
		}
	}
	return inv
}

func BenchmarkPlanAll1000(b *testing.B) {
	inv := bigInventory(1000)
	for b.Loop() {
		if _, err := collect(inv, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanOne5000(b *testing.B) {
	inv := bigInventory(5000)
	for b.Loop() {
		if _, err := collect(inv, Options{Only: []string{"node-4999"}}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSelf(t *testing.T) {
	inv := inventory.Inventory{Source: "m.txt", Hosts: []inventory.Host{
		{Name: "server", FQDN: "server.k.local", Addrs: []netip.Addr{netip.MustParseAddr("10.240.0.10")}, Line: 1},
		{Name: "node-0", FQDN: "node-0.k.local", Addrs: []netip.Addr{netip.MustParseAddr("10.240.0.20"), netip.MustParseAddr("fd00::20")}, Line: 2},
		{Name: "node-1", FQDN: "node-1.k.local", Addrs: []netip.Addr{netip.MustParseAddr("10.240.0.21")}, Line: 3},
	}}
	addrs := func(ss ...string) []netip.Addr {
		var as []netip.Addr
		for _, s := range ss {
			as = append(as, netip.MustParseAddr(s))
		}
		return as
	}
	for _, tc := range []struct {
		name, node, hostname string
		local                []netip.Addr
		want                 Found
		err                  string
	}{
		{"--node", "NODE-1", "x", addrs("10.240.0.20"), Found{Name: "node-1", How: ByNode}, ""},
		{"--node unknown", "node-9", "", nil, Found{}, `m.txt: no host named "node-9" (--node); the hosts: server, node-0, node-1`},
		{"by address", "", "other", addrs("127.0.0.1", "fd00::20"), Found{Name: "node-0", How: ByAddr, Addr: netip.MustParseAddr("fd00::20")}, ""},
		{"by address and name", "", "node-0.k.local", addrs("10.240.0.20"), Found{Name: "node-0", How: ByAddr, Addr: netip.MustParseAddr("10.240.0.20")}, ""},
		{"by address, the name another's", "", "node-0", addrs("10.240.0.21"), Found{},
			`m.txt: which host is this? by address it is node-1 (line 3, 10.240.0.21), by its hostname "node-0" it is node-0 (line 2); correct the address or the hostname, or say which with --node`},
		{"by short name", "", "node-1", addrs("192.168.1.5"), Found{Name: "node-1", How: ByHostname}, ""},
		{"by FQDN", "", "Node-1.K.local", nil, Found{Name: "node-1", How: ByHostname}, ""},
		{"none: a name in another domain", "", "node-1.other.domain", nil, Found{},
			`m.txt: which host is this? this host has no address yet, and none is named "node-1.other.domain"; the hosts: server, node-0, node-1; say which with --node`},
		{"two by address", "", "x", addrs("10.240.0.20", "10.240.0.21"), Found{},
			"m.txt: more than one host has an address of this host's: node-0 (line 2, 10.240.0.20), node-1 (line 3, 10.240.0.21); say which this host is with --node"},
		{"none", "", "laptop", addrs("192.168.1.5"), Found{},
			`m.txt: which host is this? no host has one of this host's addresses (192.168.1.5), and none is named "laptop"; the hosts: server, node-0, node-1; say which with --node`},
		{"--node: ASCII case only", "\u017ferver", "", nil, Found{}, `m.txt: no host named "ſerver" (--node); the hosts: server, node-0, node-1`},
		{"none: ASCII case only", "", "\u017ferver", nil, Found{}, // LONG S is no 's'
			`m.txt: which host is this? this host has no address yet, and none is named "ſerver"; the hosts: server, node-0, node-1; say which with --node`},
		{"none, without addresses", "", "laptop", nil, Found{},
			`m.txt: which host is this? this host has no address yet, and none is named "laptop"; the hosts: server, node-0, node-1; say which with --node`},
	} {
		got, err := Self(inv, tc.node, tc.local, tc.hostname)
		if notFound := strings.HasPrefix(tc.name, "none"); errors.Is(err, ErrNotFound) != notFound {
			t.Errorf("%s: errors.Is(%v, ErrNotFound) = %v, want %v", tc.name, err, !notFound, notFound)
		}
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%s: %+v, %v; want %+v, %s", tc.name, got, err, tc.want, tc.err)
		}
	}
	// The Nodes of an API server have no line: each is named a Node.
	for i := range inv.Hosts {
		inv.Hosts[i].Line = 0
	}
	inv.Source = "https://10.240.0.10:6443"
	_, err := Self(inv, "", addrs("10.240.0.20", "10.240.0.21"), "x")
	if want := "https://10.240.0.10:6443: more than one host has an address of this host's: Node node-0 (10.240.0.20), Node node-1 (10.240.0.21); " +
		"say which this host is with --node"; err == nil || err.Error() != want {
		t.Errorf("two Nodes by address: %v, want %s", err, want)
	}
	_, err = Self(inv, "", addrs("10.240.0.21"), "node-0")
	if want := `https://10.240.0.10:6443: which host is this? by address it is Node node-1 (10.240.0.21), by its hostname "node-0" it is Node node-0; ` +
		"correct the address or the hostname, or say which with --node"; err == nil || err.Error() != want {
		t.Errorf("a Node by address, another by hostname: %v, want %s", err, want)
	}
}

// TestOffLink: the inventory's offLink, or else the option's (--off-link),
// is every host's, and each host's config carries its first address, the
// one its VXLAN device sends from; a guest has none.
func TestOffLink(t *testing.T) {
	hosts := []inventory.Host{
		host("a", "10.0.0.2 fd00::2", "10.1.0.0/24 fd01::/64"),
		host("v6", "fd00::4", "fd04::/64"),
	}
	for _, tc := range []struct {
		name      string
		inv, flag config.OffLink
		want      config.OffLink
	}{
		{"neither", config.OffLinkNone, config.OffLinkNone, config.OffLinkNone},
		{"inventory", config.OffLinkVXLAN, config.OffLinkNone, config.OffLinkVXLAN},
		{"flag", config.OffLinkNone, config.OffLinkVXLAN, config.OffLinkVXLAN},
	} {
		inv := inventory.Inventory{Source: "i.yaml", Hosts: hosts, OffLink: tc.inv}
		nodes, err := collect(inv, Options{OffLink: tc.flag})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, Guest(inv, "server", Options{OffLink: tc.flag}))
		for i, n := range nodes {
			var addr netip.Addr
			if i < len(hosts) && tc.want != config.OffLinkNone {
				addr = hosts[i].Addrs[0]
			}
			if n.Config.OffLink != tc.want || n.Config.Address != addr {
				t.Errorf("%s: %s has offLink %q address %v, want %q %v", tc.name, n.Config.Node, n.Config.OffLink, n.Config.Address, tc.want, addr)
			}
		}
	}
}
