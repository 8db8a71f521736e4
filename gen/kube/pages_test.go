package kube

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/logtest"
)

// TestListPagesBySize: large Nodes (4500 images and a 250 KB annotation,
// 1.7 MB of JSON each) are listed a few at a time, each page about
// pageBytes, not DefaultPageSize Nodes in one response read and decoded
// whole (80 of them took 271 MB).
func TestListPagesBySize(t *testing.T) {
	c := controlPlane(t)
	const n = 8
	c.CreateNodesAs(t, k8stest.Fleet(n), func(n k8stest.Node, seed int) *corev1.Node {
		return k8stest.LargeNode(n, seed, 4500, 250<<10)
	})
	cfg := c.RESTConfig(c.Tokens.Podroutes)
	var pages pageSizes
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return pages.rt(rt) }
	s, err := New(cfg, Options{Log: &logtest.Lines{T: t}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, err := s.List(ctx)
	if err != nil || snap.Nodes != n {
		t.Fatalf("List: %d Nodes, %v; want %d", snap.Nodes, err, n)
	}
	got := pages.list()
	t.Logf("list pages, in bytes: %v", got)
	// The first page is one Node; none is more than a Node above
	// pageBytes.
	if len(got) < 2 {
		t.Fatalf("%d list pages, want more", len(got))
	}
	for i, size := range got {
		if size > pageBytes+got[0] {
			t.Errorf("list page %d is %d bytes, want %d at most (pageBytes and a Node)", i, size, pageBytes+got[0])
		}
	}
}

// pageSizes records the size of each response to a list of Nodes.
type pageSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (p *pageSizes) list() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.sizes...)
}

func (p *pageSizes) rt(next http.RoundTripper) roundTrip {
	return func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err == nil && strings.HasSuffix(req.URL.Path, "/nodes") && req.URL.Query().Get("watch") == "" {
			resp.Body = &counted{ReadCloser: resp.Body, done: func(n int) {
				p.mu.Lock()
				p.sizes = append(p.sizes, n)
				p.mu.Unlock()
			}}
		}
		return resp, err
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// counted counts the bytes read of a body, and tells done when it closes.
type counted struct {
	io.ReadCloser
	n    int
	done func(int)
}

func (c *counted) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n += n
	return n, err
}

func (c *counted) Close() error {
	if c.done != nil {
		c.done(c.n)
		c.done = nil
	}
	return c.ReadCloser.Close()
}
