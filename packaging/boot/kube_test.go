package boot

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/k8stest"
)

// testKubernetes: podroutes-watch.service with kubernetes.conf, the
// drop-in for Kubernetes as the inventory, under its hardening and a real
// systemd: no routes.yaml nor inventory, only the kubelet's kubeconfig,
// and an API server (in the lab's peer, 10.240.0.21, a Node itself)
// holding node-0 and node-1. The watcher finds this host by its address
// (node-0), routes node-1's pods, and then node-2's once it is created.
// As in testMetrics, IPAddressAllow= is not enforced on this container's
// cgroup v1; RestrictAddressFamilies= and ProtectSystem= are. With
// networkd managing the uplink (and no drop-in of podroutes: docs/kubernetes.md
// says why), the watcher puts back the routes networkd's reconfigure drops.
func testKubernetes(ctx context.Context, t *testing.T, f fixture, networkd bool) {
	lab, err := NewLab(ctx, peerAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	c := k8stest.Start(t, lab.Peer, strings.TrimSuffix(peerAddr, "/24"))
	c.ApplyRBAC(t, k8stest.RepoPath(t, "examples/rbac.yaml"))
	for _, n := range k8stest.Fleet(2) {
		c.CreateNode(t, n)
	}
	kubeconfig := filetest.Read(t, c.Kubeconfig(t, c.Tokens.Podroutes))
	files, units := map[string]string{
		"/etc/podroutes/routes.yaml":  absent,
		"/var/lib/kubelet/kubeconfig": string(kubeconfig),
	}, []string{"podroutes-watch.service"}
	if networkd {
		files["/etc/systemd/network/"+netFile] = networkFile
		units = append(units, "systemd-networkd.service")
	}
	m := newMachineIn(ctx, t, lab, f, files, units...)
	installDropIn(ctx, t, m, "podroutes-watch.service", "kubernetes.conf")
	if !networkd {
		uplinkUp(ctx, t, lab)
	}
	boot(ctx, t, lab, m)
	u := unit(ctx, t, m, "podroutes-watch.service")
	if u["ActiveState"] != "active" || !strings.HasSuffix(u["StatusText"], "after start; 1 of 1 route in place") {
		t.Fatalf("podroutes-watch.service %s, status %q; want active, 1 route in place", u["ActiveState"], u["StatusText"])
	}
	if u := unit(ctx, t, m, "podroutes.service"); u["ActiveState"] != "inactive" {
		t.Errorf("podroutes.service %s without routes.yaml or the inventory, want inactive (its condition)", u["ActiveState"])
	}
	wantRoutesNow(ctx, t, lab, "after boot from the Nodes", wantRoutes)
	start := time.Now()
	c.CreateNode(t, k8stest.Node{Name: "node-2", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.0.22")},
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.200.2.0/24")}})
	both := append(slices.Clone(wantRoutes), "10.200.2.0/24 via 10.240.0.22 dev eth0 metric 100")
	if !waitRoutes(ctx, lab, both, 5*time.Second) {
		wantRoutesNow(ctx, t, lab, "5 s after node-2 was created", both)
	}
	t.Logf("node-2 routed %s after it was created", time.Since(start).Round(time.Millisecond))
	if networkd {
		reconfigured(ctx, t, lab, m, both, "--kubeconfig", "/var/lib/kubelet/kubeconfig")
		// The routes came back through the watcher (networkd declares
		// none): it added node-1's route a second time (the journal may
		// lag the route a little).
		if n, out := journalHolds(ctx, m, "podroutes-watch.service", "added 10.200.1.0/24 via 10.240.0.21", 2, 5*time.Second); n != 2 {
			t.Errorf("podroutes-watch.service added node-1's route %d times, want 2: at start and after networkd dropped it:\n%s", n, out)
		}
	}
	shutdown(ctx, t, m)
}
