package kube

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/podroutes/podroutes/gen/inventory"
)

// node is a Node as the store keeps it: what podroutes reads (name,
// creation time, InternalIP and Hostname addresses, pod CIDRs) and what
// the store keys and the reflector orders by (name, resourceVersion). A kubelet's
// Node is mostly images, conditions, labels and managed fields, about
// 12 KB of JSON; this is 120 bytes and its strings, where a corev1.Node
// with all the rest left empty is 744 bytes.
type node struct {
	name, resourceVersion string
	created               metav1.Time
	podCIDRs              []string
	podCIDR               string
	// addresses are inventory's type, not corev1's (the same two
	// strings): a snapshot hands them to inventory.Admit as they are,
	// where converting allocated again for every Node at each change.
	addresses []inventory.NodeAddress
}

// slim is what the store keeps of n. Nothing of n is shared, so n
// can be collected.
func slim(n *corev1.Node) *node {
	s := &node{
		name: n.Name, resourceVersion: n.ResourceVersion, created: n.CreationTimestamp,
		podCIDRs: slices.Clone(n.Spec.PodCIDRs), podCIDR: n.Spec.PodCIDR,
	}
	for _, a := range n.Status.Addresses {
		// The constant, not the decoded string: 5000 Nodes would keep
		// 10000 copies of "InternalIP" and "Hostname".
		switch a.Type {
		case corev1.NodeInternalIP:
			s.addresses = append(s.addresses, inventory.NodeAddress{Type: string(corev1.NodeInternalIP), Address: a.Address})
		case corev1.NodeHostName:
			s.addresses = append(s.addresses, inventory.NodeAddress{Type: string(corev1.NodeHostName), Address: a.Address})
		}
	}
	return s
}

// transform slims each Node a watch brings before it is stored
// (nodeStore). A list's Nodes come slim
// already (listWatch), and anything else (a DeletedFinalStateUnknown,
// whose Node was slimmed when stored) passes as it is.
func transform(obj any) (any, error) {
	if n, ok := obj.(*corev1.Node); ok {
		return slim(n), nil
	}
	return obj, nil
}

// A node is a runtime.Object whose metadata (metav1.ObjectMetaAccessor)
// is made when asked for: the store asks for it to key the node, at
// each change, not to keep it.
var (
	_ runtime.Object            = (*node)(nil)
	_ metav1.ObjectMetaAccessor = (*node)(nil)
)

func (n *node) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

func (n *node) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Name: n.name, ResourceVersion: n.resourceVersion, CreationTimestamp: n.created}
}

func (n *node) DeepCopyObject() runtime.Object {
	c := *n
	c.podCIDRs, c.addresses = slices.Clone(n.podCIDRs), slices.Clone(n.addresses)
	return &c
}

// nodeList is a list of Nodes, slimmed.
type nodeList struct {
	metav1.TypeMeta
	metav1.ListMeta
	Items []node
}

func (l *nodeList) DeepCopyObject() runtime.Object {
	c := *l
	l.ListMeta.DeepCopyInto(&c.ListMeta)
	c.Items = make([]node, len(l.Items))
	for i := range l.Items {
		c.Items[i] = *l.Items[i].DeepCopyObject().(*node)
	}
	return &c
}

// nodeOf is what inventory.Admit reads of n. It shares n's slices, which
// neither the store nor Admit changes.
func nodeOf(n *node) inventory.Node {
	return inventory.Node{Name: n.name, Created: n.created.Time, PodCIDRs: n.podCIDRs, PodCIDR: n.podCIDR, Addresses: n.addresses}
}

// sameNode reports whether two versions of a Node, as the store keeps
// them, say the same to podroutes.
func sameNode(a, b any) bool {
	x, ok1 := a.(*node)
	y, ok2 := b.(*node)
	return ok1 && ok2 && x.name == y.name && x.created.Equal(&y.created) &&
		x.podCIDR == y.podCIDR && slices.Equal(x.podCIDRs, y.podCIDRs) && slices.Equal(x.addresses, y.addresses)
}
