// Command k8s-bins builds and caches the etcd and kube-apiserver binaries
// that the tests of internal/k8stest run, so that `make test` pays the
// build (about 5 minutes on 2 cores, once per machine) before the unit
// tests start their timers. It prints the cache directory.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/podroutes/podroutes/internal/k8stest/bins"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := bins.Ensure(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k8s-bins: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("etcd: %s\nkube-apiserver: %s\n", b.Etcd, b.KubeAPIServer)
}
