package k8stest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"
)

// How long a server may take to become ready: the API server is ready in
// about a second, more on a busy machine.
const readyTimeout = 2 * time.Minute

// waitEtcd polls etcd's /health from inside the namespace.
func (c *Cluster) waitEtcd() error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: c.dial}}
	defer client.CloseIdleConnections()
	return poll(c.etcd, func() error {
		body, err := get(client, "http://127.0.0.1:2379/health", "")
		if err == nil && !strings.Contains(body, `"health":"true"`) {
			err = fmt.Errorf("/health says %s", body)
		}
		return err
	})
}

// waitAPI polls the API server's /readyz as admin, trusting only the
// serving certificate the server wrote to its --cert-dir, and then keeps
// that certificate (read again once the server is ready, so never half
// written) for clients.
func (c *Cluster) waitAPI() error {
	certFile := c.path("certs/apiserver.crt")
	var client *http.Client
	defer func() {
		if client != nil {
			client.CloseIdleConnections()
		}
	}()
	err := poll(c.api, func() error {
		if client == nil {
			pool, err := certPool(certFile)
			if err != nil {
				return err
			}
			client = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
				DialContext:     c.dial,
				TLSClientConfig: &tls.Config{RootCAs: pool},
			}}
		}
		_, err := get(client, c.URL()+"/readyz", c.Tokens.Admin)
		return err
	})
	if err != nil {
		return err
	}
	if c.ca, err = os.ReadFile(certFile); err != nil {
		return fmt.Errorf("reading the serving certificate: %w", err)
	}
	return nil
}

// certPool trusts the certificates in a PEM file.
func certPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no serving certificate %s yet", path)
	}
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return pool, nil
}

// poll calls ready until it succeeds, the process exits or readyTimeout
// passes.
func poll(p *proc, ready func() error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s (PID %d) exited: %v; last lines of %s:\n%s", p.name, p.pid(), p.err, p.log, logTail(p.log, 25))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s (PID %d) not ready after %s: %w; last lines of %s:\n%s", p.name, p.pid(), readyTimeout, err, p.log, logTail(p.log, 25))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// get fetches url, with a bearer token if one is given, and wants 200.
func get(client *http.Client, url, token string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}
