package kernel

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/internal/logs"
)

// Finish deletes podroutes' nexthop objects that no route uses any more: a
// replace or delete left them, or the add of their route failed.
func (k *Kernel) Finish(log logs.Logger) error {
	if !k.nh.loaded || k.nh.off != nil {
		return nil
	}
	if k.nh.recount {
		if err := k.load(); err != nil {
			return fmt.Errorf("listing nexthops to prune: %w", err)
		}
	}
	var unused []nexthop // in the order of their ids
	for _, n := range k.nh.list {
		if n.ours && n.refs <= 0 {
			unused = append(unused, n)
		}
	}
	bt := k.c.batch()
	var hdr [sizeofNhmsg]byte
	for _, n := range unused {
		bt.begin(unix.RTM_DELNEXTHOP, 0, hdr[:]...)
		bt.u32(unix.NHA_ID, n.id)
	}
	var errs []error
	deleted := make([]uint32, 0, len(unused))
	for j, err := range k.c.exec(bt) {
		n := unused[j]
		desc := fmt.Sprintf("nexthop %d via %s", n.id, k.describe(n.key))
		if err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", desc, err))
			continue
		}
		deleted = append(deleted, n.id)
		logf(log, "deleted %s  # no route uses it", desc)
	}
	k.nh.drop(deleted)
	return errors.Join(errs...)
}

func (k *Kernel) describe(key nhKey) string {
	s := fmt.Sprintf("%s dev %s", key.addr(), k.name[int(key.oif)])
	if key.onlink {
		s += " onlink"
	}
	return s
}
