package watch

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Hangups signals each SIGHUP (systemctl reload) until ctx is done,
// coalescing those that arrive while one is pending: an Options.Reload.
// From the call on, SIGHUP no longer ends the process (Go's default).
func Hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
