package bins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestLockWaitsUntilCtx: a waiting builder gives up only when ctx does
// (a build takes minutes), and says whom it waits for.
func TestLockWaitsUntilCtx(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := lock(context.Background(), path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var log strings.Builder
	deadline, _ := ctx.Deadline()
	_, err = lock(ctx, path, &log)
	// Measured against the deadline itself: the 300 ms run from the
	// context's making, not from the call.
	if early := time.Until(deadline); !errors.Is(err, context.DeadlineExceeded) || early > 0 {
		t.Errorf("%v, %s before the deadline; want ctx's deadline, reached", err, early.Round(time.Millisecond))
	}
	if want := fmt.Sprintf("waiting for pid %d", os.Getpid()); !strings.Contains(log.String(), want) {
		t.Errorf("the waiter says %q, want %q", log.String(), want)
	}
}
