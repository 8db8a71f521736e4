package bins

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestStagingModules(t *testing.T) {
	goMod := []byte(`module k8s.io/kubernetes

require k8s.io/api v0.0.0

replace (
	github.com/some/fork => github.com/other/fork v1.2.3
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)

replace k8s.io/single => ./staging/src/k8s.io/single
`)
	got, err := stagingModules(goMod)
	if err != nil {
		t.Fatal(err)
	}
	// A replace by another module is left out.
	if want := []string{"k8s.io/api", "k8s.io/client-go", "k8s.io/single"}; !slices.Equal(got, want) {
		t.Fatalf("stagingModules = %v, want %v", got, want)
	}
	if _, err := stagingModules([]byte("module x\n")); err == nil {
		t.Fatal("a go.mod without staging replaces gives no error")
	}
}

// TestLockWaits: a second builder waits while the first holds the lock,
// and gets it once the first lets go.
func TestLockWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := lock(context.Background(), path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if _, err := lock(ctx, path, io.Discard); err == nil {
		t.Fatal("a second lock was granted while the first was held")
	}
	unlock()
	unlock2, err := lock(context.Background(), path, io.Discard)
	if err != nil {
		t.Fatalf("locking after the first let go: %v", err)
	}
	unlock2()
}
