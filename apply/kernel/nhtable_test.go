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

// TestNexthopsDropOn: a link going down takes its nexthops and only those,
// replaced ones counted on their new link.
func TestNexthopsDropOn(t *testing.T) {
	var tb nexthops
	tb.reset()
	on := func(id uint32, oif int32) nexthop { return nexthop{id: id, key: nhKey{oif: oif}} }
	for _, n := range []nexthop{on(1, 2), on(2, 2), on(3, 3), on(4, 3)} {
		tb.add(n)
	}
	tb.add(on(2, 3)) // moved: now on 3
	tb.dropOn(4)
	tb.dropOn(2)
	var ids []uint32
	for _, n := range tb.list {
		ids = append(ids, n.id)
	}
	if want := []uint32{2, 3, 4}; !slices.Equal(ids, want) {
		t.Errorf("after dropOn(2): ids %v, want %v", ids, want)
	}
	tb.dropOn(3)
	if len(tb.list) != 0 || len(tb.onLink) != 0 {
		t.Errorf("after dropOn(3): %v, counts %v", tb.list, tb.onLink)
	}
}
