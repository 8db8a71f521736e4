//go:build !nokube

package source

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/podroutes/podroutes/apply"
)

// apiLookupWait bounds the lookup of the API server's name: it answered
// through the same resolver a moment ago.
const apiLookupWait = 10 * time.Second

// apiServer returns the addresses of the API server that server (the
// kubeconfig's, rest.Config.Host) names, looked up if it is a name, as
// apply.Kept: no Node's route may hold one, or the host would reach the
// API server through that Node, which is not the way to it (its kubelet
// neither), and would never again learn of the Node's going.
func apiServer(ctx context.Context, server string) ([]apply.Kept, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		u, err = url.Parse("https://" + server) // a host:port, as rest.Config allows
	}
	if err != nil {
		return nil, inputError(fmt.Errorf("the kubeconfig's server %q: %w", server, err))
	}
	host := u.Hostname()
	what := fmt.Sprintf("the Kubernetes API server's address (the kubeconfig's server %s)", server)
	if a, err := netip.ParseAddr(host); err == nil {
		return []apply.Kept{{Addr: a.Unmap(), What: what}}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, apiLookupWait)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, failure(fmt.Errorf("looking up the Kubernetes API server %s, whose addresses no Node's route may hold: %w", host, err))
	}
	what = fmt.Sprintf("an address of the Kubernetes API server %s (the kubeconfig's server %s)", host, server)
	var keep []apply.Kept
	for _, a := range addrs {
		if k := (apply.Kept{Addr: a.Unmap(), What: what}); !slices.Contains(keep, k) {
			keep = append(keep, k)
		}
	}
	return keep, nil
}

// lookUpAPI finds the API server's addresses again, before each plan:
// a name may move.
func (k *kubeSource) lookUpAPI(ctx context.Context) error {
	keep, err := apiServer(ctx, k.cfg.Host)
	if err != nil {
		return err
	}
	k.api.Store(&keep)
	return nil
}

// Keep is apply.Options.Keep for this source: with --kubeconfig, the API
// server's addresses, as last looked up; else nil.
func (s *Source) Keep() func() []apply.Kept {
	if s.kube == nil {
		return nil
	}
	return func() []apply.Kept {
		if p := s.kube.api.Load(); p != nil {
			return *p
		}
		return nil
	}
}
