package k8stest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RESTConfig is a client configuration for the bearer token: it trusts the
// API server's own serving certificate and dials from inside the cluster's
// namespace. Client-side throttling is off so bulk helpers are bound by
// the server alone.
func (c *Cluster) RESTConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            c.URL(),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca},
		Dial:            c.dial,
		QPS:             -1,
	}
}

var kubeconfigs atomic.Int64

// Kubeconfig writes a kubeconfig file (mode 0600) for the bearer token,
// as a user would hand to `podroutes watch --kubeconfig`, and returns its
// path. It trusts the API server's serving certificate (no
// insecure-skip-tls-verify); the file is removed with the cluster.
func (c *Cluster) Kubeconfig(t testing.TB, token string) string {
	t.Helper()
	const name = "podroutes-test"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: c.URL(), CertificateAuthorityData: c.ca}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatalf("writing a kubeconfig: %v", err)
	}
	path := filepath.Join(c.dir, fmt.Sprintf("kubeconfig-%d", kubeconfigs.Add(1)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("writing a kubeconfig: %v", err)
	}
	return path
}
