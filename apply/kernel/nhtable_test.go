package kernel

import (
	"slices"
	"testing"
)

// TestNexthopsStaySorted: a dump adds ids in order (appended), an event may
// add one below the last (inserted) or again (replaced); find works on all.
func TestNexthopsStaySorted(t *testing.T) {
	var tb nexthops
	tb.reset()
	for _, id := range []uint32{3, 7, 5, 7, 1, 9} {
		tb.add(nexthop{id: id, refs: int32(id)})
	}
	var ids []uint32
	for _, n := range tb.list {
		ids = append(ids, n.id)
	}
	if want := []uint32{1, 3, 5, 7, 9}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if tb.maxID != 9 {
		t.Errorf("maxID %d, want 9", tb.maxID)
	}
	for _, id := range []uint32{1, 5, 9} {
		if n := tb.find(id); n == nil || n.id != id {
			t.Errorf("find(%d) = %v", id, n)
		}
	}
}
