package kube

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/podroutes/podroutes/gen/inventory"
)

// node is a Node as the informer keeps it: what podroutes reads (name,
// creation time, InternalIP and Hostname addresses, pod CIDRs) and what
// the informer keys and orders by (name, UID, resourceVersion). A
// kubelet's Node is mostly images, conditions, labels and managed
// fields, about 12 KB of JSON; this is about 400 bytes, and less than
// half of a corev1.Node with all the rest left empty.
type node struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	PodCIDRs  []string
	PodCIDR   string
	Addresses []corev1.NodeAddress
}

// slim is what the informer keeps of n. Nothing of n is shared, so n
// can be collected.
func slim(n *corev1.Node) *node {
	s := &node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              n.Name,
			UID:               n.UID,
			ResourceVersion:   n.ResourceVersion,
			CreationTimestamp: n.CreationTimestamp,
		},
		PodCIDRs: slices.Clone(n.Spec.PodCIDRs),
		PodCIDR:  n.Spec.PodCIDR,
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeHostName {
			s.Addresses = append(s.Addresses, a)
		}
	}
	return s
}

// transform is the informer's cache.TransformFunc: each Node a watch
// brings is slimmed before it is stored. A list's Nodes come slim
// already (listWatch), and anything else (a DeletedFinalStateUnknown,
// whose Node was slimmed when stored) passes as it is.
func transform(obj any) (any, error) {
	if n, ok := obj.(*corev1.Node); ok {
		return slim(n), nil
	}
	return obj, nil
}

func (n *node) DeepCopyObject() runtime.Object {
	c := *n
	n.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	c.PodCIDRs, c.Addresses = slices.Clone(n.PodCIDRs), slices.Clone(n.Addresses)
	return &c
}

// nodeList is a page of a list of Nodes, slimmed.
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

// nodeOf is what inventory.Admit reads of n.
func nodeOf(n *node) inventory.Node {
	out := inventory.Node{
		Name:      n.Name,
		Created:   n.CreationTimestamp.Time,
		PodCIDRs:  n.PodCIDRs,
		PodCIDR:   n.PodCIDR,
		Addresses: make([]inventory.NodeAddress, len(n.Addresses)),
	}
	for i, a := range n.Addresses {
		out.Addresses[i] = inventory.NodeAddress{Type: string(a.Type), Address: a.Address}
	}
	return out
}

// sameNode reports whether two versions of a Node, as the informer keeps
// them, say the same to podroutes.
func sameNode(a, b any) bool {
	x, ok1 := a.(*node)
	y, ok2 := b.(*node)
	return ok1 && ok2 && x.Name == y.Name && x.CreationTimestamp.Equal(&y.CreationTimestamp) &&
		x.PodCIDR == y.PodCIDR && slices.Equal(x.PodCIDRs, y.PodCIDRs) && slices.Equal(x.Addresses, y.Addresses)
}
