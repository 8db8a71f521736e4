package kernel

import (
	"context"

	"github.com/podroutes/podroutes/apply/reconcile"
)

// All lists every route of the main table, every owner's, as the fallback
// dump reads them (tests look at routes Routes leaves out).
func (k *Kernel) All(context.Context) ([]reconcile.Route, error) {
	if _, err := k.refreshLinks(); err != nil {
		return nil, err
	}
	var rs []reconcile.Route
	err := dump(func() error {
		rs = rs[:0]
		if err := k.loadNexthops(); err != nil {
			return err
		}
		return k.scanAll(func(r reconcile.Route) error { rs = append(rs, r); return nil })
	})
	return rs, err
}

// SmallBuffers shrinks the events' buffers, so that a test can overflow
// them, until the returned function restores them.
func SmallBuffers() (restore func()) {
	events, socket := eventBuffer, receiveBuffer
	eventBuffer, receiveBuffer = 8, 4096
	return func() { eventBuffer, receiveBuffer = events, socket }
}
