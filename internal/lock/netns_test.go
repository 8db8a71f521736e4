package lock

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/nstest"
)

// TestLocksPerNetns: watchers fight, and passes meet, only within one
// network namespace, so the locks are keyed by it: watch locks taken in
// two namespaces both hold, though they share the directory (/run on one
// machine), and a second in one namespace is refused; the default pass
// lock is one per namespace, a pass lock given as a file is that file.
func TestLocksPerNetns(t *testing.T) {
	nstest.RequireRoot(t)
	given := filepath.Join(t.TempDir(), "lock")
	a, b := nstest.New(t), nstest.New(t)
	watcher := func(ns *nstest.NS) (l *Lock, err error) {
		ns.Do(t, func() { l, err = OnlyWatcher(context.Background(), given) })
		return l, err
	}
	first, err := watcher(a)
	if err != nil {
		t.Fatalf("the first watcher in %s: %v", a.Name, err)
	}
	defer first.Release()
	other, err := watcher(b)
	if err != nil {
		t.Fatalf("a watcher in another namespace, %s: %v", b.Name, err)
	}
	defer other.Release()
	if second, err := watcher(a); err == nil || !strings.Contains(err.Error(), "another podroutes watch is running") {
		second.Release()
		t.Errorf("a second watcher in %s: %v, want refused", a.Name, err)
	}

	pass := func(lock string, ns *nstest.NS) (path string) {
		ns.Do(t, func() { path, err = PassPath(lock) })
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	if pa, pb := pass(DefaultPath, a), pass(DefaultPath, b); pa == pb || pa != pass(DefaultPath, a) || !strings.HasPrefix(pa, DefaultPath+"-") {
		t.Errorf("default pass locks: %s in %s, %s in %s; want one a namespace", pa, a.Name, pb, b.Name)
	}
	if pa := pass(given, a); pa != given {
		t.Errorf("pass lock %s, given %s", pa, given)
	}
}
