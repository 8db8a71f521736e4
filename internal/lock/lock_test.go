package lock

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSerializes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "lock")
	first, err := Acquire(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var holder string
	_, err = Acquire(context.Background(), path, 100*time.Millisecond, func(h string) { holder = h })
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("second Acquire while held: %v, want ErrTimeout", err)
	}
	if !strings.HasPrefix(holder, "pid ") || !strings.Contains(err.Error(), holder) {
		t.Errorf("holder %q, error %q: want the holder's pid in both", holder, err)
	}

	// Released while the second waits: it gets the lock.
	go func() {
		time.Sleep(50 * time.Millisecond)
		first.Release()
	}()
	second, err := Acquire(context.Background(), path, 5*time.Second, nil)
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	second.Release()
}

func TestCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	held, err := Acquire(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Acquire(ctx, path, time.Minute, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Acquire: %v", err)
	}
}
