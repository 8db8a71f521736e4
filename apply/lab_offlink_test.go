package apply_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/tunnel"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/nstest"
)

// segmentsInventory is KTHW's three machines and a server on two
// segments: server and node-0 on 10.240.0.0/24, node-1 and node-2 on
// 10.241.0.0/24, a router between; one file for every host.
const segmentsInventory = `defaults: {offLink: vxlan}
hosts:
  - {name: server, addresses: [10.240.0.10, "fd00:240::10"]}
  - {name: node-0, addresses: [10.240.0.20, "fd00:240::20"], podSubnets: [10.200.0.0/24, "fd00:200::/64"]}
  - {name: node-1, addresses: [10.241.0.21, "fd00:241::21"], podSubnets: [10.200.1.0/24, "fd00:200:1::/64"]}
  - {name: node-2, addresses: [10.241.0.22, "fd00:241::22"], podSubnets: [10.200.2.0/24, "fd00:200:2::/64"]}
`

// offHost is a host of the two-segment lab.
type offHost struct {
	name string
	ns   *nstest.NS
	pod  *nstest.NS // nil for the server
	k    *counting
	cfg  config.Config
	// subnets are its pod subnets.
	subnets []netip.Prefix
}

// segmentsLab builds the two-segment lab (segmentsInventory): each host
// on its segment (10.241 the second) with a default route via the router.
func segmentsLab(t *testing.T, inventoryText string) []*offHost {
	t.Helper()
	lab := nstest.NewRouted(t, []string{"10.240.0.0/24", "fd00:240::/64"}, []string{"10.241.0.0/24", "fd00:241::/64"})
	return plannedLab(t, inventoryText, func(h inventory.Host) *nstest.NS {
		seg := 0
		if h.Addrs[0].As4()[1] == 241 {
			seg = 1
		}
		var addrs []string
		for _, a := range h.Addrs {
			addrs = append(addrs, a.String())
		}
		return lab.Host(t, seg, addrs...)
	})
}

// plannedLab builds a host of the inventory in inventoryText, a YAML one,
// with place (its namespace, on the lab's network), a pod behind each
// node (the second address of each pod subnet: 10.200.N.2), and each
// host's config planned from the one inventory, as the host would plan it.
func plannedLab(t *testing.T, inventoryText string, place func(h inventory.Host) *nstest.NS) []*offHost {
	t.Helper()
	inv, err := inventory.Parse("inventory.yaml", []byte(inventoryText), inventory.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := plan.Stream(inv, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*offHost
	for n := range nodes {
		h := inv.Hosts[len(hosts)]
		oh := &offHost{name: h.Name, ns: place(h), cfg: n.Config, subnets: h.Subnets}
		for j, p := range h.Subnets {
			gw := p.Addr().Next().String()
			if j == 0 {
				oh.pod = nstest.Pod(t, oh.ns, gw, nth(p, 2))
			} else {
				nstest.PodAddr(t, oh.ns, oh.pod, gw, nth(p, 2))
			}
		}
		oh.k = open(t, oh.ns)
		hosts = append(hosts, oh)
	}
	return hosts
}

// nth is the n-th address of p, with p's length: nth(10.200.1.0/24, 2)
// is "10.200.1.2/24".
func nth(p netip.Prefix, n int) string {
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return netip.PrefixFrom(a, p.Bits()).String()
}

// podIP is the pod's address of the family of p, a node's pod subnet.
func podIP(p netip.Prefix) string { return strings.Split(nth(p, 2), "/")[0] }

// applyAll applies every host's config, waiting up to nstest.Patience for
// gateways, and returns each host's routes by path (Result.Paths).
func applyAll(t *testing.T, hosts []*offHost) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, h := range hosts {
		res, err := apply.Apply(context.Background(), h.k, h.cfg, apply.Options{Wait: nstest.Patience, Log: testLog{t}})
		if err != nil {
			t.Fatalf("apply on %s: %v", h.name, err)
		}
		paths[h.name] = fmt.Sprint(res.Paths)
	}
	return paths
}

// checkAll runs check on every host and returns its reports; every host
// must be in sync.
func checkAll(t *testing.T, hosts []*offHost) map[string]string {
	t.Helper()
	reports := map[string]string{}
	for _, h := range hosts {
		var out bytes.Buffer
		ok, err := apply.Check(context.Background(), h.k, h.cfg, apply.Options{}, writeTo(&out))
		if err != nil || !ok {
			t.Errorf("check on %s: in sync %v, %v:\n%s", h.name, ok, err, out.String())
		}
		reports[h.name] = out.String()
	}
	return reports
}

// routeDev is the device `ip route get` says dst leaves h by.
func routeDev(t *testing.T, h *offHost, dst string) string {
	t.Helper()
	f := strings.Fields(h.ns.IP(t, "route", "get", dst))
	for i := range f[:len(f)-1] {
		if f[i] == "dev" {
			return f[i+1]
		}
	}
	t.Fatalf("ip route get %s on %s: no dev", dst, h.name)
	return ""
}

// TestTwoSegments: KTHW's machines on two segments joined by a router,
// every host with the same inventory (offLink: vxlan): after apply, every
// pod reaches every other over IPv4 and IPv6, and the server reaches
// every pod; peers on the host's segment go direct, the others through
// the tunnel; check is in sync everywhere and says which path each route
// takes; a DF ping of the tunnel's MTU passes, one byte more does not;
// a second apply writes nothing; remove leaves no device, route,
// neighbour or FDB entry of podroutes'.
func TestTwoSegments(t *testing.T) {
	hosts := segmentsLab(t, segmentsInventory)
	if got := applyAll(t, hosts); got["server"] != "map[direct:2 vxlan:4]" || got["node-1"] != "map[direct:2 vxlan:2]" {
		t.Errorf("routes by path: %v", got)
	}
	segment := func(h *offHost) int { return int(h.cfg.Address.As4()[1]) }
	for _, from := range hosts {
		for _, to := range hosts {
			if to == from || to.pod == nil {
				continue
			}
			src := from.ns
			if from.pod != nil {
				src = from.pod
			}
			for _, p := range to.subnets {
				if err := nstest.Ping(t, src, podIP(p), 0); err != nil {
					t.Errorf("%s to %s's pod: %v", from.name, to.name, err)
				}
				want := "eth0"
				if segment(from) != segment(to) {
					want = tunnel.Name
				}
				if dev := routeDev(t, from, podIP(p)); dev != want {
					t.Errorf("%s reaches %s by %s, want %s", from.name, podIP(p), dev, want)
				}
			}
		}
	}
	reports := checkAll(t, hosts)
	if r := reports["node-0"]; !strings.Contains(r, "in place  10.200.1.0/24 via 10.200.1.0 dev "+tunnel.Name+" proto podroutes metric 100 onlink  # node-1") ||
		!strings.Contains(r, "tunnel in place  "+tunnel.Name+" vxlan id 157 dstport 4789 local 10.240.0.20 mtu 1450") ||
		!strings.Contains(r, "in place  neighbour 10.200.1.0 lladdr "+tunnel.MAC(netip.MustParseAddr("10.241.0.21")).String()+" fdb dst 10.241.0.21") {
		t.Errorf("node-0's report:\n%s", r)
	}
	if r := reports["node-1"]; !strings.Contains(r, "in place  10.200.2.0/24 via 10.241.0.22 dev eth0 proto podroutes") {
		t.Errorf("node-1's report, node-2 direct:\n%s", r)
	}
	// The MTU is exact: the underlay's 1500 less 50.
	n0 := hosts[1]
	if err := nstest.Ping(t, n0.pod, "10.200.1.2", 1450); err != nil {
		t.Errorf("a 1450-byte DF ping through the tunnel: %v", err)
	}
	if err := nstest.Ping(t, n0.pod, "10.200.1.2", 1451); err == nil {
		t.Errorf("a 1451-byte DF ping went through a tunnel of MTU 1450")
	}
	for _, h := range hosts {
		h.k.writes = 0
	}
	applyAll(t, hosts)
	for _, h := range hosts {
		if h.k.writes != 0 {
			t.Errorf("a second apply on %s wrote %d routes", h.name, h.k.writes)
		}
	}
	for _, h := range hosts {
		if _, err := apply.Remove(context.Background(), h.k, testLog{t}); err != nil {
			t.Fatalf("remove on %s: %v", h.name, err)
		}
		if out := h.ns.IP(t, "link", "show"); strings.Contains(out, tunnel.Name) {
			t.Errorf("%s keeps %s after remove: %s", h.name, tunnel.Name, out)
		}
		for _, fam := range []string{"-4", "-6"} {
			if out := h.ns.IP(t, fam, "route", "show", "proto", "157"); out != "" {
				t.Errorf("%s keeps routes after remove: %s", h.name, out)
			}
		}
	}
}

// TestSlash32: cloud VMs whose address is a /32 with an on-link default
// route (Google Cloud's): no peer is ever on-link, so every one goes
// through the tunnel, and pods reach pods.
func TestSlash32(t *testing.T) {
	lab := nstest.NewRouted(t, []string{"10.240.0.0/24"})
	hosts := plannedLab(t, `defaults: {offLink: vxlan}
hosts:
  - {name: node-0, addresses: [10.240.0.20], podSubnets: [10.200.0.0/24]}
  - {name: node-1, addresses: [10.240.0.21], podSubnets: [10.200.1.0/24]}
`, func(h inventory.Host) *nstest.NS { return lab.Host(t, 0, h.Addrs[0].String()+"/32") })
	// A dry run says what it would make, and makes nothing.
	var dry bytes.Buffer
	if _, err := apply.Apply(context.Background(), hosts[0].k, hosts[0].cfg, apply.Options{DryRun: true, Out: &dry}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dry.String(), "tunnel: create vxlan device podroutes-vx vni 157 local 10.240.0.20 mtu 1450\n") ||
		strings.Contains(hosts[0].ns.IP(t, "link", "show"), tunnel.Name) || hosts[0].ns.IP(t, "route", "show", "proto", "157") != "" {
		t.Errorf("dry run printed\n%s\nand left links\n%s", dry.String(), hosts[0].ns.IP(t, "link", "show"))
	}
	applyAll(t, hosts)
	checkAll(t, hosts)
	for i, from := range hosts {
		to := hosts[1-i]
		if err := nstest.Ping(t, from.pod, podIP(to.subnets[0]), 0); err != nil {
			t.Errorf("%s's pod to %s's: %v", from.name, to.name, err)
		}
		if dev := routeDev(t, from, podIP(to.subnets[0])); dev != tunnel.Name {
			t.Errorf("%s reaches %s's pods by %s, want %s", from.name, to.name, dev, tunnel.Name)
		}
	}
}

// TestOffLinkTurnedOff: a config that no longer sends peers through the
// tunnel finds the device stale (check: not in sync, "tunnel stale"), and
// its apply deletes the device; the off-link peers are then unreachable,
// and the error says how to reach them.
func TestOffLinkTurnedOff(t *testing.T) {
	hosts := segmentsLab(t, segmentsInventory)
	applyAll(t, hosts)
	n0 := hosts[1]
	n0.cfg.OffLink, n0.cfg.Address = config.OffLinkNone, netip.Addr{}
	var out bytes.Buffer
	ok, _ := apply.Check(context.Background(), n0.k, n0.cfg, apply.Options{}, writeTo(&out))
	if ok || !strings.Contains(out.String(), "tunnel stale  "+tunnel.Name+"  # no peer goes through it") {
		t.Errorf("check with offLink none beside the device: in sync %v\n%s", ok, out.String())
	}
	_, err := apply.Apply(context.Background(), n0.k, n0.cfg, apply.Options{Log: testLog{t}})
	if err == nil || !strings.Contains(err.Error(), "--off-link vxlan") {
		t.Errorf("apply with offLink none: %v", err)
	}
	if links := n0.ns.IP(t, "link", "show"); strings.Contains(links, tunnel.Name) {
		t.Errorf("the device stays with offLink none:\n%s", links)
	}
}

// TestForeignTunnelName: a link named podroutes-vx that podroutes did
// not create is another owner's: apply names it, puts no route through
// it (the off-link peers are left out, named), installs the direct ones
// and leaves the link as it was; check is not in sync; remove leaves it.
func TestForeignTunnelName(t *testing.T) {
	hosts := segmentsLab(t, segmentsInventory)
	n0 := hosts[2] // node-1: node-2 direct, node-0 through the tunnel
	n0.ns.IP(t, "link", "add", tunnel.Name, "type", "veth", "peer", "name", "other")
	before := n0.ns.IP(t, "-d", "link", "show", tunnel.Name)
	_, err := apply.Apply(context.Background(), n0.k, n0.cfg, apply.Options{Log: testLog{t}})
	if err == nil || !strings.Contains(err.Error(), tunnel.Name) || !strings.Contains(err.Error(), "podroutes did not create") {
		t.Errorf("apply beside a foreign %s: %v", tunnel.Name, err)
	}
	if got := n0.ns.IP(t, "route", "show", "proto", "157"); strings.Contains(got, tunnel.Name) || !strings.Contains(got, "10.200.2.0/24 nhid") {
		t.Errorf("routes beside a foreign %s:\n%s", tunnel.Name, got)
	}
	var out bytes.Buffer
	if ok, _ := apply.Check(context.Background(), n0.k, n0.cfg, apply.Options{}, writeTo(&out)); ok || !strings.Contains(out.String(), "left out") {
		t.Errorf("check beside a foreign %s: in sync %v\n%s", tunnel.Name, ok, out.String())
	}
	if _, err := apply.Remove(context.Background(), n0.k, testLog{t}); err != nil {
		t.Errorf("remove beside a foreign %s: %v", tunnel.Name, err)
	}
	if after := n0.ns.IP(t, "-d", "link", "show", tunnel.Name); after != before {
		t.Errorf("the foreign link changed:\n%s\nto\n%s", before, after)
	}
}

// TestIPv6Underlay: hosts with IPv6 node addresses only, on two networks:
// the device sends over IPv6, its MTU is 70 bytes less than the link's,
// and pods reach pods across.
func TestIPv6Underlay(t *testing.T) {
	lab := nstest.NewRouted(t, []string{"fd00:240::/64"}, []string{"fd00:241::/64"})
	seg := 0
	hosts := plannedLab(t, `defaults: {offLink: vxlan}
hosts:
  - {name: node-0, addresses: ["fd00:240::20"], podSubnets: ["fd00:200::/64"]}
  - {name: node-1, addresses: ["fd00:241::21"], podSubnets: ["fd00:200:1::/64"]}
`, func(h inventory.Host) *nstest.NS { seg++; return lab.Host(t, seg-1, h.Addrs[0].String()) })
	applyAll(t, hosts)
	reports := checkAll(t, hosts)
	if !strings.Contains(reports["node-0"], "local fd00:240::20 mtu 1430") {
		t.Errorf("node-0's report:\n%s", reports["node-0"])
	}
	if err := nstest.Ping(t, hosts[0].pod, "fd00:200:1::2", 0); err != nil {
		t.Errorf("pod to pod over an IPv6 underlay: %v", err)
	}
}

// TestTunnelGoesBesideConflict: once no peer goes through the tunnel, the
// device goes even while another owner's route holds a destination of a
// direct peer (a conflict left alone is no failed write; the soak's
// segments lab found the device kept as long as such a route stayed), and
// check then says the tunnel is absent, not stale.
func TestTunnelGoesBesideConflict(t *testing.T) {
	hosts := segmentsLab(t, segmentsInventory)
	applyAll(t, hosts)
	n1 := hosts[2] // node-1: node-2 direct, node-0 through the tunnel
	n1.ns.IP(t, "route", "add", "10.200.2.0/24", "via", "10.241.0.1", "proto", "static", "metric", "50")
	// node-0 on-link too: an address of its segment on node-1's eth0.
	n1.ns.IP(t, "addr", "add", "10.240.0.99/24", "dev", "eth0")
	n1.ns.IP(t, "addr", "add", "fd00:240::99/64", "dev", "eth0", "nodad")
	_, err := apply.Apply(context.Background(), n1.k, n1.cfg, apply.Options{Log: testLog{t}})
	if err == nil || !strings.Contains(err.Error(), "another owner") {
		t.Errorf("apply beside another owner's route: %v", err)
	}
	if links := n1.ns.IP(t, "link", "show"); strings.Contains(links, tunnel.Name) {
		t.Errorf("the device stays with no peer through it:\n%s", links)
	}
	var out bytes.Buffer
	ok, _ := apply.Check(context.Background(), n1.k, n1.cfg, apply.Options{}, writeTo(&out))
	if ok || !strings.Contains(out.String(), "tunnel absent  "+tunnel.Name+"  # no peer goes through it, none wanted") {
		t.Errorf("check: in sync %v (another owner's route: not)\n%s", ok, out.String())
	}
}
