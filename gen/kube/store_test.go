package kube

import (
	"testing"

	"github.com/podroutes/podroutes/internal/k8stest"
)

// TestNodeStore: the reflector's store tells a change only where what
// podroutes reads of the Nodes changed: a relist that finds the same
// Nodes, or a kubelet's status update, is none; a Node that comes, goes or
// is re-addressed is one. The first list marks it synced, and it keeps
// Nodes slimmed.
func TestNodeStore(t *testing.T) {
	changes := 0
	s := newNodeStore(func() { changes++ })
	fleet := k8stest.Fleet(3)
	full := func(i, version int) any { return k8stest.KubeletNode(fleet[i], version) }
	step := func(what string, want int, err error) {
		t.Helper()
		if err != nil || changes != want {
			t.Fatalf("%s: %d changes, %v; want %d", what, changes, err, want)
		}
	}

	select {
	case <-s.synced:
		t.Fatal("synced before a list")
	default:
	}
	step("the first list", 1, s.Replace([]any{full(0, 1), full(1, 1)}, "1"))
	select {
	case <-s.synced:
	default:
		t.Fatal("not synced after the first list")
	}
	step("a relist of the same Nodes", 1, s.Replace([]any{full(1, 2), full(0, 2)}, "2"))
	step("a status update", 1, s.Update(full(0, 3)))
	step("a Node comes", 2, s.Add(full(2, 1)))
	moved := k8stest.KubeletNode(k8stest.Fleet(4)[3], 4)
	moved.Name = fleet[2].Name
	step("a Node re-addressed", 3, s.Update(moved))
	step("a Node goes", 4, s.Delete(full(2, 5)))
	step("a relist without a Node", 5, s.Replace([]any{full(0, 6)}, "6"))
	for _, o := range s.List() {
		if _, ok := o.(*node); !ok {
			t.Errorf("the store holds a %T", o)
		}
	}
}
