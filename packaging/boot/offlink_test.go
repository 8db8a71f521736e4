package boot

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/tunnel"
)

// offLinkInventory is the YAML inventory every host of a cluster on two
// networks shares: this machine (node-0, hostAddr) and the server on
// 10.240.0.0/24, node-1 and node-2 on 10.241.0.0/24, behind the lab's
// peer (routerAddr, this machine's default gateway). offLink: vxlan sends
// both nodes' pod subnets through podroutes' VXLAN device.
const offLinkInventory = `defaults: {offLink: vxlan}
hosts:
  - {name: server, addresses: [10.240.0.10]}
  - {name: node-0, addresses: [10.240.0.20], podSubnets: [10.200.0.0/24]}
  - {name: node-1, addresses: [10.241.0.21], podSubnets: [10.200.1.0/24]}
  - {name: node-2, addresses: [10.241.0.22], podSubnets: [10.200.2.0/24]}
`

// routerAddr is the lab peer's address in testOffLink: the router to the
// other network.
const routerAddr = "10.240.0.1/24"

// offLinkPeers are node-1's and node-2's pod subnets and node addresses.
var offLinkPeers = []struct{ subnet, node string }{{"10.200.1.0/24", "10.241.0.21"}, {"10.200.2.0/24", "10.241.0.22"}}

// testOffLink: a host whose peers are all on another network, with only
// the shared YAML inventory (offLink: vxlan) in /etc/podroutes, boots
// with its tunnel and routes in place under the unit's hardening:
// podroutes.service active, podroutes-vx podroutes' (its alias), a route
// through it per peer before the units ordered after, the neighbour and
// FDB entry of each, check in sync; podroutes-watch.service puts a
// deleted device back; systemctl stop takes the device and the routes
// away.
func testOffLink(ctx context.Context, t *testing.T, f fixture) {
	lab, err := NewLab(ctx, routerAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	m := newMachineIn(ctx, t, lab, f, inventoryOnly(offLinkInventory, nil))
	uplinkUp(ctx, t, lab)
	router, _, _ := strings.Cut(routerAddr, "/")
	if _, err := lab.IP(ctx, "route", "add", "default", "via", router, "dev", "eth0"); err != nil {
		t.Fatal(err)
	}
	boot(ctx, t, lab, m)

	var routes, neighbours, fdb []string
	for _, p := range offLinkPeers {
		inner := tunnel.Gateway(netip.MustParsePrefix(p.subnet))
		mac := tunnel.MAC(netip.MustParseAddr(p.node))
		routes = append(routes, fmt.Sprintf("%s via %s dev %s metric 100 onlink", p.subnet, inner, tunnel.Name))
		neighbours = append(neighbours, fmt.Sprintf("%s lladdr %s PERMANENT", inner, mac))
		fdb = append(fdb, fmt.Sprintf("%s dst %s self permanent", mac, p.node))
	}
	slices.Sort(neighbours)
	slices.Sort(fdb)
	wantActiveRoutes(ctx, t, m, len(routes), len(routes))
	wantRoutesNow(ctx, t, lab, "after boot with off-link peers", routes)
	wantProbeSaw(t, m, routes)
	if out, err := m.Exec(ctx, "podroutes", "check"); err != nil ||
		!strings.Contains(out, "tunnel in place  "+tunnel.Name+" vxlan id 157 dstport 4789 local "+hostIP()+" mtu 1450") {
		t.Errorf("podroutes check: %v, want exit 0 and the tunnel in place\n%s", err, out)
	}
	wantTunnel(ctx, t, lab, "after boot", neighbours, fdb)

	// podroutes-watch.service, under the same hardening, puts the device
	// back with its entries and routes when it is deleted.
	mustExec(ctx, t, m, "systemctl", "start", "podroutes-watch.service")
	if _, err := lab.IP(ctx, "link", "del", tunnel.Name); err != nil {
		t.Fatal(err)
	}
	if !waitRoutes(ctx, lab, routes, 10*time.Second) {
		wantRoutesNow(ctx, t, lab, "10 s after ip link del "+tunnel.Name+", podroutes-watch healing", routes)
	}
	wantTunnel(ctx, t, lab, "after podroutes-watch healed", neighbours, fdb)

	// Stopping podroutes.service stops the watcher first (PartOf=).
	mustExec(ctx, t, m, "systemctl", "stop", "podroutes.service")
	wantRoutesNow(ctx, t, lab, "after systemctl stop", nil)
	if u := unit(ctx, t, m, "podroutes-watch.service"); u["ActiveState"] != "inactive" {
		t.Errorf("after systemctl stop podroutes: podroutes-watch.service %s, want inactive", u["ActiveState"])
	}
	if out, err := lab.IP(ctx, "-o", "link", "show"); err != nil || strings.Contains(out, tunnel.Name) {
		t.Errorf("after systemctl stop: links (%v):\n%s\nwant no %s", err, out, tunnel.Name)
	}
	shutdown(ctx, t, m)
}

// hostIP is hostAddr without its length.
func hostIP() string { return strings.Split(hostAddr, "/")[0] }

// wantTunnel checks the lab host's podroutes-vx: podroutes' (its alias),
// over hostAddr, without learning, up, with exactly the neighbour and FDB
// entries given (sorted, as `ip neigh` and `bridge fdb` show them).
func wantTunnel(ctx context.Context, t *testing.T, lab *Lab, what string, neighbours, fdb []string) {
	t.Helper()
	dev, err := lab.IP(ctx, "-d", "link", "show", tunnel.Name)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	for _, w := range []string{"alias " + tunnel.Alias, "vxlan id 157 local " + hostIP() + " ", " nolearning ", ",UP,"} {
		if !strings.Contains(dev, w) {
			t.Errorf("%s: %s lacks %q:\n%s", what, tunnel.Name, w, dev)
		}
	}
	for _, e := range []struct {
		what string
		args []string
		want []string
	}{
		{"neighbour entries", []string{"ip", "neigh", "show", "dev", tunnel.Name}, neighbours},
		{"fdb entries", []string{"bridge", "fdb", "show", "dev", tunnel.Name}, fdb},
	} {
		out, err := run(ctx, "ip", append([]string{"netns", "exec", lab.Host}, e.args...)...)
		got := lines(out)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, e.want) {
			t.Errorf("%s: %s of %s: %q (%v), want %q", what, e.what, tunnel.Name, got, err, e.want)
		}
	}
}
