package kernel

import (
	"errors"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/apply/reconcile"
)

// Finish deletes podroutes' nexthop objects that no route uses any more: a
// replace or delete left them, or the add of their route failed.
func (k *Kernel) Finish(log reconcile.Logger) error {
	if !k.nh.loaded || k.nh.off != nil {
		return nil
	}
	if k.nh.recount {
		if err := k.load(); err != nil {
			return fmt.Errorf("listing nexthops to prune: %w", err)
		}
	}
	var unused []uint32
	for id, n := range k.nh.byID {
		if n.ours && k.nh.refs[id] <= 0 {
			unused = append(unused, id)
		}
	}
	slices.Sort(unused)
	var bt batch
	for _, id := range unused {
		bt.begin(unix.RTM_DELNEXTHOP, 0, make([]byte, sizeofNhmsg)...)
		bt.u32(unix.NHA_ID, id)
	}
	var errs []error
	for j, err := range k.c.exec(&bt) {
		id := unused[j]
		desc := fmt.Sprintf("nexthop %d via %s", id, k.describe(k.nh.byID[id].key))
		if err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", desc, err))
			continue
		}
		k.nh.remove(id)
		logf(log, "deleted %s  # no route uses it", desc)
	}
	return errors.Join(errs...)
}

func (k *Kernel) describe(key nhKey) string {
	s := fmt.Sprintf("%s dev %s", key.gw, k.name[key.oif])
	if key.onlink {
		s += " onlink"
	}
	return s
}
