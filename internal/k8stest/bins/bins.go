// Package bins builds the etcd and kube-apiserver binaries that
// internal/k8stest runs, from their Go modules, once per machine: they are
// cached under /var/cache/podroutes-test/k8s/<versions>/ and published
// atomically, and concurrent builders (several `go test` packages at once)
// wait for one another on a lock file.
//
// It imports nothing but the standard library and internal/lock (itself
// only the standard library), so `make k8s-bins` compiles in seconds; the scratch modules it builds in live in temporary
// directories and never touch the project's go.mod.
package bins

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	podlock "github.com/podroutes/podroutes/internal/lock"
)

// The versions built. The API server's minor matches client-go's in
// go.mod (k8s.io/client-go v0.34.x talks to Kubernetes 1.34); etcd 3.6 is
// what Kubernetes 1.34 is tested with.
const (
	KubernetesVersion = "v1.34.2"
	EtcdVersion       = "v3.6.16"
)

// DefaultCacheRoot is where binaries are cached unless
// PODROUTES_K8S_CACHE names another directory.
const DefaultCacheRoot = "/var/cache/podroutes-test/k8s"

// Binaries are the paths of the cached executables.
type Binaries struct {
	Etcd, KubeAPIServer string
}

// Dir is the cache directory for these versions, GOOS and GOARCH.
func Dir() string {
	root := os.Getenv("PODROUTES_K8S_CACHE")
	if root == "" {
		root = DefaultCacheRoot
	}
	return filepath.Join(root, fmt.Sprintf("kubernetes-%s-etcd-%s-%s-%s",
		KubernetesVersion, EtcdVersion, runtime.GOOS, runtime.GOARCH))
}

// Ensure returns the cached binaries, building whichever is missing first
// (etcd about 30 s, kube-apiserver about 4 minutes on 2 cores). It tells
// log what it builds and how long that took. Safe to call from several
// processes at once: one builds, the others wait for it and reuse its work.
func Ensure(ctx context.Context, log io.Writer) (Binaries, error) {
	dir := Dir()
	b := Binaries{Etcd: filepath.Join(dir, "etcd"), KubeAPIServer: filepath.Join(dir, "kube-apiserver")}
	if executable(b.Etcd) && executable(b.KubeAPIServer) {
		return b, nil // the fast path: no lock once both are published
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return b, fmt.Errorf("creating the binary cache: %w", err)
	}
	unlock, err := lock(ctx, dir+".lock", log)
	if err != nil {
		return b, err
	}
	defer unlock()
	// Leftovers of a builder that was killed before it could clean up.
	if junk, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(junk) > 0 {
		for _, j := range junk {
			os.Remove(j)
		}
	}
	for _, s := range []struct {
		path  string
		build func(ctx context.Context, out string) error
	}{
		{b.Etcd, buildEtcd},
		{b.KubeAPIServer, buildKubeAPIServer},
	} {
		if executable(s.path) { // another process built it while we waited
			continue
		}
		start := time.Now()
		fmt.Fprintf(log, "building %s (cached afterwards in %s)\n", filepath.Base(s.path), dir)
		if err := publish(ctx, s.path, s.build); err != nil {
			return b, err
		}
		fmt.Fprintf(log, "built %s in %s\n", filepath.Base(s.path), time.Since(start).Round(time.Second))
	}
	return b, nil
}

// publish builds to a temporary name beside path and renames it into
// place, so no one ever runs a half-written binary.
func publish(ctx context.Context, path string, build func(ctx context.Context, out string) error) error {
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	defer os.Remove(tmp) // gone already after a successful rename
	if err := build(ctx, tmp); err != nil {
		return fmt.Errorf("building %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("publishing %s: %w", filepath.Base(path), err)
	}
	return nil
}

// lock takes the build lock at path (internal/lock's flock, which the
// kernel drops if the holder dies, so a killed build never wedges the
// next one), waiting for another builder (which may take minutes) until
// ctx is done.
func lock(ctx context.Context, path string, log io.Writer) (unlock func(), err error) {
	// No bound of its own: ctx's (go test's timeout, k8s-bins' signals).
	const forever = time.Duration(1<<63 - 1)
	l, err := podlock.Acquire(ctx, path, forever, func(holder string) {
		fmt.Fprintf(log, "waiting for %s, building into %s\n", holder, filepath.Dir(path))
	})
	if err != nil {
		return nil, fmt.Errorf("taking the build lock: %w", err)
	}
	return func() { l.Release() }, nil
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
