package kube

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podroutes/podroutes/gen/inventory"
)

// transform is the informer's cache.TransformFunc: each Node is slimmed
// before it is stored. Anything else (a DeletedFinalStateUnknown, whose
// Node went through here when it was stored) passes as it is.
func transform(obj any) (any, error) {
	if n, ok := obj.(*corev1.Node); ok {
		return slim(n), nil
	}
	return obj, nil
}

// slim is n with only what podroutes reads (name, creation time,
// InternalIP and Hostname addresses, pod CIDRs) and what the informer
// keys and orders by (UID, resourceVersion): a kubelet's Node is mostly
// its images, conditions, labels and managed fields, about 12 KB of JSON,
// of which this keeps a few hundred bytes. Nothing of n is shared, so n
// can be collected. Slimming a slim Node changes nothing.
func slim(n *corev1.Node) *corev1.Node {
	s := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              n.Name,
			UID:               n.UID,
			ResourceVersion:   n.ResourceVersion,
			CreationTimestamp: n.CreationTimestamp,
		},
		Spec: corev1.NodeSpec{PodCIDR: n.Spec.PodCIDR, PodCIDRs: slices.Clone(n.Spec.PodCIDRs)},
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeHostName {
			s.Status.Addresses = append(s.Status.Addresses, a)
		}
	}
	return s
}

// nodeOf is what inventory.Admit reads of n.
func nodeOf(n *corev1.Node) inventory.Node {
	out := inventory.Node{
		Name:      n.Name,
		Created:   n.CreationTimestamp.Time,
		PodCIDRs:  n.Spec.PodCIDRs,
		PodCIDR:   n.Spec.PodCIDR,
		Addresses: make([]inventory.NodeAddress, len(n.Status.Addresses)),
	}
	for i, a := range n.Status.Addresses {
		out.Addresses[i] = inventory.NodeAddress{Type: string(a.Type), Address: a.Address}
	}
	return out
}

// sameNode reports whether two versions of a Node (slim, from the
// informer) say the same to podroutes.
func sameNode(a, b any) bool {
	x, ok1 := a.(*corev1.Node)
	y, ok2 := b.(*corev1.Node)
	return ok1 && ok2 && x.Name == y.Name && x.CreationTimestamp.Equal(&y.CreationTimestamp) &&
		x.Spec.PodCIDR == y.Spec.PodCIDR && slices.Equal(x.Spec.PodCIDRs, y.Spec.PodCIDRs) &&
		slices.Equal(x.Status.Addresses, y.Status.Addresses)
}
