package boot

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/filetest"
)

// Two runs that want the same root fs take turns: the second waits for the
// first's lock and gives up when its context ends.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rootfs-x.lock")
	unlock, err := lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := lock(ctx, path); err == nil {
		t.Fatal("second lock taken while the first is held")
	}
	unlock()
	unlock2, err := lock(context.Background(), path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestSystemdVersion(t *testing.T) {
	dir := t.TempDir()
	status := "Package: systemd-sysv\nStatus: install ok installed\nVersion: 252.1-1\n\n" +
		"Package: libsystemd0\nVersion: 252.2-1\n\n" +
		"Package: systemd\nStatus: install ok installed\nPriority: important\nVersion: 257.13-1~deb13u1\n\n"
	if err := os.MkdirAll(filepath.Join(dir, "var/lib/dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, filepath.Join(dir, "var/lib/dpkg/status"), status, 0o644)
	if v, err := SystemdVersion(dir); err != nil || v != "257.13-1~deb13u1" {
		t.Errorf("SystemdVersion = %q, %v; want 257.13-1~deb13u1", v, err)
	}
	if v, err := SystemdVersion(t.TempDir()); err == nil {
		t.Errorf("SystemdVersion of an empty dir = %q, want an error", v)
	}
}
