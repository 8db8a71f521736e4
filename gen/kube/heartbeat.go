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
// does. So the heartbeat asks it a cheap question every ProbeEvery and
// counts no answer within ProbeTimeout as a failure: a frozen API server
// is logged, and Options.Answering told, within ProbeEvery+ProbeTimeout
// (20 s). While the API server does not answer, it asks every RetryEvery,
// and each answer ends the reflector's backoff (wakeClock): the Nodes are
// followed again within about RetryEvery of an API server's return, where
// client-go's backoff alone took up to a minute.
const (
	ProbeEvery   = 10 * time.Second
	ProbeTimeout = 10 * time.Second
	RetryEvery   = time.Second
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
// server's; none within ProbeTimeout, that it is unreachable. An answer
// ends the reflector's backoff (wakeClock): the probe needs the rights a
// list does, so a list refused for want of them (as a restarted API
// server does until its authorizer is ready) may work now. It asks every
// RetryEvery while the API server does not answer, and while the
// reflector waits out a backoff after a list or watch that got no answer
// or a watch cut; after a refusal, RetryEvery doubling to ProbeEvery (a
// restarted API server refuses for a second or two; a wrong kubeconfig
// is not asked more often than a working one). A backoff after the API
// server said it is overloaded (Source.refused) runs its course.
func (s *Source) heartbeat(ctx context.Context, clk clock.WithTicker, probe func(context.Context) error) {
	retry := RetryEvery // doubling while the API server refuses podroutes
	for {
		every := ProbeEvery
		switch kind := s.api.state(); {
		case kind.final():
			every, retry = retry, min(2*retry, ProbeEvery)
		case kind == unreachable, !s.refused.Load() && s.wake.waiting():
			every, retry = RetryEvery, RetryEvery
		default:
			retry = RetryEvery
		}
		t := clk.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.ask:
			t.Stop()
			continue
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
				if !s.refused.Load() {
					s.wake.wake()
				}
			} else {
				s.failed(err)
			}
		case <-clk.After(ProbeTimeout):
			s.failed(fmt.Errorf("no answer within %s", ProbeTimeout))
		}
		cancel()
	}
}
