package k8stest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Node is what podroutes reads from a Kubernetes Node.
type Node struct {
	Name        string
	InternalIPs []netip.Addr   // status.addresses of type InternalIP
	PodCIDRs    []netip.Prefix // spec.podCIDRs (spec.podCIDR is the first)
}

// CreateNode creates a Node as a kubelet registers it (labels,
// conditions, images: see KubeletNode) with the admin client. One request
// does: unlike most kinds, a Node keeps the status it is created with (the
// kubelet registers that way); only updates ignore status, hence
// SetNodeAddresses.
func (c *Cluster) CreateNode(t testing.TB, n Node) *corev1.Node {
	t.Helper()
	node, err := c.admin.CoreV1().Nodes().Create(context.Background(), KubeletNode(n, 0), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Node %s: %v", n.Name, err)
	}
	return node
}

// CreateNodeAt creates Node name with one InternalIP, ip, and one pod
// subnet: the shape most tests need, written as text.
func (c *Cluster) CreateNodeAt(t testing.TB, name, ip, subnet string) *corev1.Node {
	t.Helper()
	return c.CreateNode(t, Node{Name: name, InternalIPs: []netip.Addr{netip.MustParseAddr(ip)}, PodCIDRs: []netip.Prefix{netip.MustParsePrefix(subnet)}})
}

// SetNodeAddresses replaces a Node's status.addresses with these
// InternalIPs and its Hostname, with a JSON merge patch of the status
// subresource. (A strategic merge patch would merge the list by address
// type and keep an old InternalIP beside the new one.)
func (c *Cluster) SetNodeAddresses(t testing.TB, name string, ips ...netip.Addr) *corev1.Node {
	t.Helper()
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"addresses": addresses(name, ips)}})
	if err != nil {
		t.Fatal(err)
	}
	node, err := c.admin.CoreV1().Nodes().Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		t.Fatalf("setting the addresses of Node %s to %v: %v", name, ips, err)
	}
	return node
}

// DeleteNode deletes a Node; it must exist.
func (c *Cluster) DeleteNode(t testing.TB, name string) {
	t.Helper()
	if err := c.admin.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting Node %s: %v", name, err)
	}
}

// addresses are a kubelet's status.addresses: InternalIPs, then Hostname.
func addresses(name string, ips []netip.Addr) []corev1.NodeAddress {
	as := make([]corev1.NodeAddress, 0, len(ips)+1)
	for _, ip := range ips {
		as = append(as, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip.String()})
	}
	return append(as, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
}

// Fleet is n Nodes named and numbered like the lab's machines.txt:
// node-I has InternalIP 10.240.0.20+I (counting on into the next octets)
// and pod subnet 10.200.I.0/24 (likewise), so node-0 and node-1 are the
// lab's, and 5000 Nodes fit in 10.240.0.0/16 and 10.200.0.0/11 without
// overlap.
func Fleet(n int) []Node {
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{
			Name:        fmt.Sprintf("node-%d", i),
			InternalIPs: []netip.Addr{addAddr(netip.MustParseAddr("10.240.0.20"), uint32(i))},
			PodCIDRs:    []netip.Prefix{netip.PrefixFrom(addAddr(netip.MustParseAddr("10.200.0.0"), uint32(i)<<8), 24)},
		}
	}
	return nodes
}

// addAddr is a + n for IPv4 addresses.
func addAddr(a netip.Addr, n uint32) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// CreateNodes creates a KubeletNode for each of nodes, 16 requests in
// flight, as fast as the API server takes them: for benchmarks with
// thousands of Nodes.
func (c *Cluster) CreateNodes(t testing.TB, nodes []Node) {
	t.Helper()
	c.CreateNodesAs(t, nodes, KubeletNode)
}

// CreateNodesAs is CreateNodes with the Node of each made by as (given
// the Node and its index): LargeNode, say.
func (c *Cluster) CreateNodesAs(t testing.TB, nodes []Node, as func(n Node, seed int) *corev1.Node) {
	t.Helper()
	const inFlight = 16
	var next atomic.Int64
	errs := make(chan error, inFlight)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(nodes) {
					return
				}
				if _, err := c.admin.CoreV1().Nodes().Create(context.Background(), as(nodes[i], i), metav1.CreateOptions{}); err != nil {
					errs <- fmt.Errorf("creating Node %s: %w", nodes[i].Name, err)
					next.Store(int64(len(nodes))) // the others stop too
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
