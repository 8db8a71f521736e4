// Package nldump runs netlink dumps again while the kernel interrupts them:
// the one retry rule of every package that reads the kernel's tables.
package nldump

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// Attempts bounds the retries of a dump the kernel interrupted because the
// table changed under it.
const Attempts = 10

// Retry runs f, a netlink dump, again while it fails with
// netlink.ErrDumpInterrupted (whose results may be inconsistent).
func Retry(f func() error) error {
	var err error
	for range Attempts {
		if err = f(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
	}
	return fmt.Errorf("still interrupted after %d attempts: %w", Attempts, err)
}
