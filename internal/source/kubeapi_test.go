//go:build !nokube

package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAPIServer: the addresses no Node's route may hold are the
// kubeconfig's server's, looked up when it is a name.
func TestAPIServer(t *testing.T) {
	for server, want := range map[string]string{
		"https://192.0.2.10:6443":     "192.0.2.10 the Kubernetes API server's address (the kubeconfig's server https://192.0.2.10:6443)",
		"https://[fd00:240::10]:6443": "fd00:240::10 the Kubernetes API server's address",
		"https://[::ffff:192.0.2.10]": "192.0.2.10 the Kubernetes API server's address",
		"192.0.2.10:6443":             "192.0.2.10 the Kubernetes API server's address",
		"https://localhost:6443":      "127.0.0.1 an address of the Kubernetes API server localhost (the kubeconfig's server https://localhost:6443)",
	} {
		keep, err := apiServer(context.Background(), server)
		if err != nil || len(keep) == 0 || !strings.HasPrefix(fmt.Sprintf("%s %s", keep[0].Addr, keep[0].What), want) {
			t.Errorf("%s: %v, %v; want %q first", server, keep, err, want)
		}
	}
	var se *Error
	if _, err := apiServer(context.Background(), "https://no-such-host.invalid:6443"); !errors.As(err, &se) || se.Input ||
		!strings.Contains(err.Error(), "looking up the Kubernetes API server no-such-host.invalid") {
		t.Errorf("an unknown name: %v, want a failure (exit 1) saying so", err)
	}
}
