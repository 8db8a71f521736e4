package kube

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// listWatch is the informer's ListerWatcher. Its watch is client-go's; its
// list pages itself and slims each page before asking for the next. The
// reflector's own paging cannot bound memory: it gathers every page, as
// decoded, before the transform runs (5000 kubelet Nodes: about 60 MB of
// JSON), and it lists with resourceVersion=0, which the API server's
// watch cache answers in one piece whatever the limit. Both calls tell
// apiState how the API server answers.
func (s *Source) listWatch(nodes *nodeClient) cache.ListerWatcher {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list, err := s.list(ctx, nodes, opts)
			if err != nil {
				s.failed(err)
				return nil, err
			}
			s.api.ok()
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			w, err := nodes.Watch(ctx, opts)
			if err != nil {
				s.failed(err)
				return nil, err
			}
			s.api.ok()
			return w, nil
		},
	}
}

// list lists every Node, o.PageSize at a time, slimmed, as one list
// without a continue token. It lists the most recent Nodes (a consistent
// read, which pages; newer than any resourceVersion the reflector asks
// for, as it requires), whatever opts say of versions and paging.
func (s *Source) list(ctx context.Context, nodes *nodeClient, opts metav1.ListOptions) (*nodeList, error) {
	opts.ResourceVersion, opts.ResourceVersionMatch, opts.Continue = "", "", ""
	opts.Limit = s.o.PageSize
	var all *nodeList
	for {
		page, err := nodes.List(ctx, opts)
		if err != nil {
			return nil, err
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
