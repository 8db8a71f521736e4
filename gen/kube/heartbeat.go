package kube

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// A frozen API server (stopped with SIGSTOP, hung, or behind a path that
// drops packets while the TCP connection stays open) ends no watch and
// fails no request: its watch just brings nothing, as a quiet cluster's
// does. So Run asks it a cheap question every ProbeEvery and counts no
// answer within ProbeTimeout as a failure: a frozen API server is logged,
// and Options.Answering told, within ProbeEvery+ProbeTimeout (20 s).
const (
	ProbeEvery   = 10 * time.Second
	ProbeTimeout = 10 * time.Second
)

// probeName is a Node name no Node can have (a name ends with a letter or
// digit): the probe's list, answered from the API server's cache, is
// empty whatever the cluster's size.
const probeName = "-"

// Probe asks the API server for the Nodes named probeName: none, a few
// hundred bytes, from its watch cache (resourceVersion 0), with the rights
// podroutes has anyway (list nodes).
func (c *nodeClient) Probe(ctx context.Context) error {
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + probeName, ResourceVersion: "0"}
	return c.rest.Get().Resource("nodes").VersionedParams(&opts, c.params).Do(ctx).Error()
}

// heartbeat runs probe every ProbeEvery on clk until ctx is done, and
// records each outcome (apiState): an answer, even a refusal, is the API
// server's; none within ProbeTimeout, that it is unreachable.
func (s *Source) heartbeat(ctx context.Context, clk clock.WithTicker, probe func(context.Context) error) {
	t := clk.NewTicker(ProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		pctx, cancel := context.WithCancel(ctx)
		answer := make(chan error, 1)
		go func() { answer <- probe(pctx) }()
		select {
		case <-ctx.Done():
		case err := <-answer:
			if err == nil {
				s.api.ok()
			} else {
				s.failed(err)
			}
		case <-clk.After(ProbeTimeout):
			s.failed(fmt.Errorf("no answer within %s", ProbeTimeout))
		}
		cancel()
	}
}
