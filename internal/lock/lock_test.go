package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestInNetns: a lock's name carries the inode of the namespace, before
// its extension; without the namespace to read, no name.
func TestInNetns(t *testing.T) {
	ns := filepath.Join(t.TempDir(), "net")
	if err := os.WriteFile(ns, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(ns)
	if err != nil {
		t.Fatal(err)
	}
	ino := fi.Sys().(*syscall.Stat_t).Ino
	defer func(p string) { netnsPath = p }(netnsPath)
	netnsPath = ns
	for in, want := range map[string]string{
		"/run/podroutes/watch.lock": fmt.Sprintf("/run/podroutes/watch-%d.lock", ino),
		"/run/podroutes/lock":       fmt.Sprintf("/run/podroutes/lock-%d", ino),
		"/run/x.d/lock":             fmt.Sprintf("/run/x.d/lock-%d", ino),
	} {
		if got, err := InNetns(in); got != want || err != nil {
			t.Errorf("InNetns(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	netnsPath = filepath.Join(t.TempDir(), "none")
	if got, err := InNetns("/run/podroutes/lock"); err == nil {
		t.Errorf("InNetns without a namespace: %s, want an error", got)
	}
}
