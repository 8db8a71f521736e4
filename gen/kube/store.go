package kube

import (
	"sync"

	"k8s.io/client-go/tools/cache"
)

// nodeStore is the reflector's store: the Nodes by name, slimmed as they
// come (transform), telling changed of each change podroutes reads. It
// stands for a shared informer's store and handlers, which podroutes
// cannot use: an informer makes its reflector with the real clock, and
// podroutes' reflector runs on a wakeClock.
type nodeStore struct {
	cache.Store
	changed func()
	// synced is closed by the first list's Replace.
	synced   chan struct{}
	syncOnce sync.Once
}

func newNodeStore(changed func()) *nodeStore {
	return &nodeStore{Store: cache.NewStore(cache.MetaNamespaceKeyFunc), changed: changed, synced: make(chan struct{})}
}

// Add stores a Node a watch brings.
func (s *nodeStore) Add(obj any) error {
	return s.Update(obj)
}

// Update stores a Node a watch brings, telling a change only if what
// podroutes reads of it changed: kubelets update their Node's status
// every few minutes.
func (s *nodeStore) Update(obj any) error {
	obj, _ = transform(obj)
	old, found, err := s.Store.Get(obj)
	if err != nil {
		return err
	}
	if err := s.Store.Update(obj); err != nil {
		return err
	}
	if !found || !sameNode(old, obj) {
		s.changed()
	}
	return nil
}

// Delete removes a Node a watch says is gone.
func (s *nodeStore) Delete(obj any) error {
	if err := s.Store.Delete(obj); err != nil {
		return err
	}
	s.changed()
	return nil
}

// Replace takes a list's Nodes in place of those stored, telling a change
// if any Node came, went or changed as podroutes reads it: a relist after
// an outage that finds the same Nodes is none.
func (s *nodeStore) Replace(list []any, rv string) error {
	before := s.Store.List()
	old := make(map[string]any, len(before))
	for _, o := range before {
		if k, err := cache.MetaNamespaceKeyFunc(o); err == nil {
			old[k] = o
		}
	}
	same := len(list) == len(old)
	for i, o := range list {
		list[i], _ = transform(o)
		if same {
			k, err := cache.MetaNamespaceKeyFunc(list[i])
			same = err == nil && sameNode(old[k], list[i])
		}
	}
	if err := s.Store.Replace(list, rv); err != nil {
		return err
	}
	s.syncOnce.Do(func() { close(s.synced) })
	if !same {
		s.changed()
	}
	return nil
}
