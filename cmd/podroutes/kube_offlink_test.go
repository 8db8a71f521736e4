//go:build !nokube

package main

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/nstest"
)

// TestKubeOffLink: Nodes on two networks joined by a router, the API
// server on the first, with --off-link vxlan: node-1, on the second
// network, routes the Nodes of the first through podroutes-vx and those
// of its own direct (apply, check, watch); a Node that joins on its
// network is routed direct, and one re-addressed onto it (its InternalIP
// changed) moves from the tunnel to a direct route.
func TestKubeOffLink(t *testing.T) {
	lab := nstest.NewRouted(t, []string{"10.240.0.0/24"}, []string{"10.241.0.0/24"})
	server := lab.Host(t, 0, "10.240.0.10")
	node1 := lab.Host(t, 1, "10.241.0.21")
	kl := oneHostLab(t, server, "10.240.0.10", node1,
		[3][2]string{{"10.240.0.20", "10.200.0.0/24"}, {"10.241.0.21", "10.200.1.0/24"}, {"10.240.0.22", "10.200.2.0/24"}})
	c, kubeconfig, in, lock := kl.c, kl.kubeconfig, kl.hosts["node-1"].in, kl.hosts["node-1"].lock
	routes := func() string { return kl.routes(t, "node-1") }
	tunneled := "10.200.0.0/24 via 10.200.0.0\n10.200.2.0/24 via 10.200.2.0"
	expect(t, "apply --kubeconfig --off-link vxlan",
		runBin(t, nil, in, "apply", "--kubeconfig", kubeconfig, "--off-link", "vxlan", "--lock", lock), 0, "2 routes in place: 2 added")
	if got := routes(); got != tunneled {
		t.Fatalf("node-1's routes after apply:\n%s\nwant\n%s", got, tunneled)
	}
	expect(t, "check --kubeconfig --off-link vxlan", runBin(t, nil, in, "check", "--kubeconfig", kubeconfig, "--off-link", "vxlan"), 0,
		"in place  10.200.0.0/24 via 10.200.0.0 dev podroutes-vx proto podroutes metric 100 onlink  # node-0\n",
		"tunnel in place  podroutes-vx vxlan id 157 dstport 4789 local 10.241.0.21 mtu 1450")
	// Without --off-link, the same Nodes are unreachable, and check says
	// how to reach them.
	expect(t, "check --kubeconfig", runBin(t, nil, in, "check", "--kubeconfig", kubeconfig), 1, "gateway unreachable")

	// The API server's machine is no Node: it sends from its own address,
	// and routes node-1 through the tunnel, node-0 and node-2 direct.
	expect(t, "apply --kubeconfig --off-link vxlan on a guest",
		runBin(t, nil, []string{"ip", "netns", "exec", server.Name}, "apply", "--kubeconfig", kubeconfig, "--off-link", "vxlan",
			"--lock", filepath.Join(t.TempDir(), "lock")), 0, "3 routes in place: 3 added")
	kl.hosts["server"] = &labHost{ns: server}
	if got, want := kl.routes(t, "server"), "10.200.0.0/24 via 10.240.0.20\n10.200.1.0/24 via 10.200.1.0\n10.200.2.0/24 via 10.240.0.22"; got != want {
		t.Errorf("the server's routes:\n%s\nwant\n%s", got, want)
	}
	if err := nstest.Ping(t, server, "10.241.0.21", 0); err != nil {
		t.Errorf("the lab's router: %v", err)
	}

	w := startBin(t, nil, in, "watch", "--kubeconfig", kubeconfig, "--off-link", "vxlan", "--lock", lock)
	w.waitOutput(t, "this host is node-1")
	until := func(what, want string) {
		t.Helper()
		start := time.Now()
		for routes() != want {
			if time.Since(start) > nstest.Patience {
				t.Fatalf("%s: node-1's routes after %s:\n%s\nwant\n%s\n%s", what, time.Since(start), routes(), want, w.out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		nstest.Timed(t, what, time.Since(start))
	}
	c.CreateNodeAt(t, "node-3", "10.241.0.23", "10.200.3.0/24")
	until("a Node joins on node-1's network", tunneled+"\n10.200.3.0/24 via 10.241.0.23")
	c.SetNodeAddresses(t, "node-2", netip.MustParseAddr("10.241.0.22"))
	until("node-2 re-addressed onto node-1's network",
		"10.200.0.0/24 via 10.200.0.0\n10.200.2.0/24 via 10.241.0.22\n10.200.3.0/24 via 10.241.0.23")
	if out := node1.IP(t, "neigh", "show", "dev", "podroutes-vx", "nud", "permanent"); strings.Contains(out, "10.200.2.0") {
		t.Errorf("node-2's neighbour entry stays on the tunnel after it moved:\n%s", out)
	}
}
