package watch

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestHangups: a SIGHUP to the process is a reload, not its end; those
// that come while one is pending are one reload.
func TestHangups(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := Hangups(ctx)
	for range 3 {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-reload:
	case <-time.After(time.Minute): // only a broken Hangups waits this long
		t.Fatal("no reload after SIGHUP")
	}
	select {
	case <-reload:
		// A signal may be delivered after the first was taken: a second
		// reload, never a third.
		select {
		case <-reload:
			t.Error("three SIGHUPs while one was pending: three reloads")
		default:
		}
	default:
	}
}
