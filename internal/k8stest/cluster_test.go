package k8stest

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/podroutes/podroutes/internal/nstest"
)

// TestControlPlane runs one control plane and checks, in turn, what tests
// of podroutes will rely on.
func TestControlPlane(t *testing.T) {
	c, node := lab(t)
	ctx := context.Background()

	t.Run("servers run and listen only in their namespace", func(t *testing.T) {
		root, err := os.Readlink("/proc/self/ns/net")
		if err != nil {
			t.Fatal(err)
		}
		allowed := []netip.Addr{netip.MustParseAddr("127.0.0.1"), c.Addr}
		for _, p := range []*proc{c.etcd, c.api} {
			// The PID held is the server's own (ip netns exec execs in place),
			// so cleanup's signals reach the server.
			if exe, _ := os.Readlink(fmtProc(p.pid(), "exe")); exe != c.bins.Etcd && exe != c.bins.KubeAPIServer {
				t.Errorf("%s's PID %d runs %q, not the server", p.name, p.pid(), exe)
			}
			if ns, _ := os.Readlink(fmtProc(p.pid(), "ns/net")); ns == root || ns == "" {
				t.Errorf("%s (PID %d) runs in network namespace %q, the test's own is %s", p.name, p.pid(), ns, root)
			}
			for _, l := range listeners(t, p.pid()) {
				if !slices.Contains(allowed, l.Addr()) {
					t.Errorf("%s's namespace has a listener on %s; only %v are allowed", p.name, l, allowed)
				}
			}
		}
	})

	t.Run("admin creates, re-addresses and deletes a Node", func(t *testing.T) {
		n := Fleet(1)[0]
		got := c.CreateNode(t, n)
		if ips := internalIPs(got); !slices.Equal(ips, []string{"10.240.0.20"}) || !slices.Equal(got.Spec.PodCIDRs, []string{"10.200.0.0/24"}) {
			t.Fatalf("created %s with InternalIPs %v and podCIDRs %v, want [10.240.0.20] and [10.200.0.0/24]", got.Name, ips, got.Spec.PodCIDRs)
		}
		c.SetNodeAddresses(t, n.Name, netip.MustParseAddr("10.240.0.30"), netip.MustParseAddr("10.240.0.31"))
		got, err := c.Admin().CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ips := internalIPs(got); !slices.Equal(ips, []string{"10.240.0.30", "10.240.0.31"}) {
			t.Fatalf("after re-addressing, %s has InternalIPs %v, want [10.240.0.30 10.240.0.31]", n.Name, ips)
		}
		c.DeleteNode(t, n.Name)
		if _, err := c.Admin().CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("after deleting %s, get says %v, want NotFound", n.Name, err)
		}
	})

	t.Run("podroutes token lists and watches Nodes from a kubeconfig, with rbac.yaml's rights only", func(t *testing.T) {
		path := c.Kubeconfig(t, c.Tokens.Podroutes)
		checkKubeconfigFile(t, path)
		podroutes := fromKubeconfig(t, path, node)
		if _, err := podroutes.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Fatalf("before rbac.yaml, podroutes lists Nodes with %v, want Forbidden", err)
		}
		c.ApplyRBAC(t, RepoPath(t, "examples/rbac.yaml"))

		nodes := Fleet(3)
		c.CreateNode(t, nodes[0])
		list, err := podroutes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("podroutes lists Nodes: %v", err)
		}
		if len(list.Items) != 1 || list.Items[0].Name != "node-0" {
			t.Fatalf("podroutes lists %d Nodes, want node-0 alone", len(list.Items))
		}
		w, err := podroutes.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatalf("podroutes watches Nodes: %v", err)
		}
		defer w.Stop()
		c.CreateNode(t, nodes[1])
		next(t, w, watch.Added, "node-1", "10.240.0.21")
		c.SetNodeAddresses(t, "node-0", netip.MustParseAddr("10.240.0.99"))
		next(t, w, watch.Modified, "node-0", "10.240.0.99")
		c.DeleteNode(t, "node-1")
		next(t, w, watch.Deleted, "node-1", "10.240.0.21")

		// Nothing beyond reading Nodes.
		if _, err := podroutes.CoreV1().Nodes().Create(ctx, KubeletNode(nodes[2], 2), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("podroutes creates a Node with %v, want Forbidden", err)
		}
		if _, err := podroutes.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("podroutes lists Pods with %v, want Forbidden", err)
		}
		c.DeleteNode(t, "node-0")
	})

	t.Run("a token without rights is Forbidden, a wrong one Unauthorized", func(t *testing.T) {
		nobody := fromKubeconfig(t, c.Kubeconfig(t, c.Tokens.Nobody), node)
		if _, err := nobody.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("nobody lists Nodes with %v, want Forbidden", err)
		}
		stranger := fromKubeconfig(t, c.Kubeconfig(t, "not-a-token"), node)
		if _, err := stranger.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
			t.Errorf("an unknown token lists Nodes with %v, want Unauthorized", err)
		}
	})

	t.Run("bulk Nodes look like a kubelet's", func(t *testing.T) {
		const n = 200
		began := time.Now()
		c.CreateNodes(t, Fleet(n))
		took := time.Since(began)
		list, err := c.Admin().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != n {
			t.Fatalf("%d Nodes listed, want %d", len(list.Items), n)
		}
		i := slices.IndexFunc(list.Items, func(n corev1.Node) bool { return n.Name == "node-137" })
		if i < 0 {
			t.Fatal("node-137 not listed")
		}
		got := list.Items[i]
		if len(got.Status.Images) != imagesPerNode || len(got.Status.Conditions) != 4 || got.Labels["kubernetes.io/hostname"] != "node-137" ||
			!slices.Equal(internalIPs(&got), []string{"10.240.0.157"}) || got.Spec.PodCIDR != "10.200.137.0/24" {
			t.Fatalf("node-137 has %d images, %d conditions, labels %v, InternalIPs %v, podCIDR %s",
				len(got.Status.Images), len(got.Status.Conditions), got.Labels, internalIPs(&got), got.Spec.PodCIDR)
		}
		size, _ := json.Marshal(got)
		t.Logf("created %d Nodes in %s (%.0f/s), %d bytes of JSON each; kube-apiserver RSS %s",
			n, took.Round(time.Millisecond), n/took.Seconds(), len(size), rss(t, c.api.pid()))
	})
}

// TestRestartAPI kills the API server and starts it again: the data is
// still there, and clients (kubeconfig too) work again without change.
func TestRestartAPI(t *testing.T) {
	c, node := lab(t)
	ctx := context.Background()
	c.ApplyRBAC(t, RepoPath(t, "examples/rbac.yaml"))
	podroutes := fromKubeconfig(t, c.Kubeconfig(t, c.Tokens.Podroutes), node)
	c.CreateNode(t, Fleet(1)[0])

	pid := c.api.pid()
	c.StopAPI(t)
	down := time.Now()
	if _, err := podroutes.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("podroutes lists Nodes while the API server is down")
	}
	t.Logf("listing with the API server down fails after %s", time.Since(down).Round(time.Millisecond))
	c.StartAPI(t)
	if c.api.pid() == pid {
		t.Fatalf("the API server still has PID %d after a restart", pid)
	}
	list, err := podroutes.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("podroutes lists Nodes after the restart: %v", err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "node-0" {
		t.Fatalf("after the restart podroutes lists %d Nodes, want node-0", len(list.Items))
	}
	c.RestartAPI(t)
	if _, err := c.Admin().CoreV1().Nodes().Get(ctx, "node-0", metav1.GetOptions{}); err != nil {
		t.Fatalf("admin gets node-0 after a second restart: %v", err)
	}
}

// TestCleanup checks that a test's control plane is gone when it ends:
// both processes, and the directory with tokens and keys.
func TestCleanup(t *testing.T) {
	var pids []int
	var dir string
	t.Run("start", func(t *testing.T) {
		c, _ := lab(t)
		pids, dir = []int{c.etcd.pid(), c.api.pid()}, c.dir
	})
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("PID %d still exists after the test (kill -0: %v)", pid, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after the test (%v)", dir, err)
	}
}

// fromKubeconfig is a clientset as `podroutes watch --kubeconfig path`
// would make it, dialing from the node namespace.
func fromKubeconfig(t *testing.T, path string, node *nstest.NS) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	cfg.Dial = DialIn(node.Name)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkKubeconfigFile wants mode 0600 and verified TLS.
func checkKubeconfigFile(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "certificate-authority-data:") || strings.Contains(string(b), "insecure-skip-tls-verify") {
		t.Errorf("%s does not trust the serving certificate alone:\n%s", path, b)
	}
}

// next waits for the watch's next event and wants its type, Node name
// and first InternalIP.
func next(t *testing.T, w watch.Interface, typ watch.EventType, name, ip string) {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatalf("the watch ended, want %s %s", typ, name)
		}
		n, isNode := ev.Object.(*corev1.Node)
		if !isNode {
			t.Fatalf("watch event %s of %T, want %s of Node %s", ev.Type, ev.Object, typ, name)
		}
		if ips := internalIPs(n); ev.Type != typ || n.Name != name || len(ips) == 0 || ips[0] != ip {
			t.Fatalf("watch event %s %s %v, want %s %s %s", ev.Type, n.Name, ips, typ, name, ip)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no watch event in 10 s, want %s %s", typ, name)
	}
}

func internalIPs(n *corev1.Node) []string {
	var ips []string
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			ips = append(ips, a.Address)
		}
	}
	return ips
}
