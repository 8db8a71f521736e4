package kube

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// pageBytes is about how many bytes of Nodes one list page brings. A
// page is read whole, then decoded whole (about as many bytes again), and
// a Node may be as large as etcd takes (1.5 MiB): 80 Nodes with 4500
// images each and a 250 KB annotation (1.7 MB of JSON each) in one page
// took 271 MB. Kubelets' Nodes (about 5 KB of protobuf) still come
// DefaultPageSize at a time.
const pageBytes = 2 << 20

// listWatch is the reflector's ListerWatcher. Its watch is client-go's;
// its list pages itself and slims each page before asking for the next.
// The reflector's own paging cannot bound memory: it gathers every page,
// as decoded, before the store's transform runs (5000 kubelet Nodes:
// about 60 MB of JSON), and it lists with resourceVersion=0, which the API
// server's watch cache answers in one piece whatever the limit. Both calls
// tell how the API server answers (reflected).
func (s *Source) listWatch(nodes *nodeClient) cache.ListerWatcher {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list, err := s.list(ctx, nodes, opts)
			s.reflected(ctx, err)
			if err != nil {
				return nil, err
			}
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			w, err := nodes.Watch(ctx, opts)
			// An error the watch brings later ends it, and the reflector
			// lists again, which tells how the API server answers. It is
			// not recorded itself: a watch the reflector stops brings one
			// as its stream is closed under it ("unable to decode an
			// event from the watch stream"), which a proxy recording it
			// took for an outage (and, unread, kept its goroutine).
			s.reflected(ctx, err)
			return w, err
		},
	}
}

// reflected records how the API server answered a list or watch of the
// reflector: err, or nil. A request ended because ctx is done (List has
// its Nodes, or watch stops) says nothing of the API server.
func (s *Source) reflected(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		s.api.ok()
		return
	}
	s.failed(err)
}

// list lists every Node, slimmed, as one list without a continue token,
// a page at a time: the first of one Node, then as many as pageBytes holds
// at the size of the Nodes of the page before, o.PageSize at most. It
// lists the most recent Nodes (a consistent read, which pages; newer than
// any resourceVersion the reflector asks for, as it requires), whatever
// opts say of versions and paging.
func (s *Source) list(ctx context.Context, nodes *nodeClient, opts metav1.ListOptions) (*nodeList, error) {
	opts.ResourceVersion, opts.ResourceVersionMatch, opts.Continue = "", "", ""
	opts.Limit = 1
	var all *nodeList
	for {
		page, size, err := nodes.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		if n := int64(len(page.Items)); n > 0 {
			opts.Limit = min(max(pageBytes*n/int64(max(size, 1)), 1), s.o.PageSize)
		}
		if all == nil {
			n := int64(len(page.Items))
			if page.RemainingItemCount != nil {
				n += *page.RemainingItemCount
			}
			all = &nodeList{ListMeta: page.ListMeta, Items: make([]node, 0, n)}
		}
		for i := range page.Items {
			all.Items = append(all.Items, *slim(&page.Items[i]))
		}
		if page.Continue == "" {
			all.Continue, all.RemainingItemCount = "", nil
			return all, nil
		}
		if len(page.Items) == 0 {
			return nil, fmt.Errorf("listing Nodes: an empty page with a continue token")
		}
		opts.Continue = page.Continue
	}
}
