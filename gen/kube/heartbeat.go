package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
// ends the reflector's backoff (wakeClock). It asks every RetryEvery
// while the API server does not answer, and while the reflector waits out
// a backoff (after a watch cut, or a request that failed); but after the
// probe's own refusal (credentials or rights: a restarted API server
// refuses for a second or two until its authorizer is ready; or 429 or a
// 5xx: overloaded), RetryEvery doubling to ProbeEvery: a wrong kubeconfig,
// or a struggling API server, is not asked more often than a working one.
func (s *Source) heartbeat(ctx context.Context, clk clock.WithTicker, probe func(context.Context) error) {
	refusals := 0 // the probes refused in a row
	for {
		every := ProbeEvery
		switch {
		case refusals > 0:
			every = min(RetryEvery<<min(refusals-1, 4), ProbeEvery)
		case s.api.state() == unreachable, s.wake.waiting():
			every = RetryEvery
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
			var status apierrors.APIStatus
			switch {
			case err == nil:
				refusals = 0
				s.api.ok()
				s.wake.wake()
			case errors.As(err, &status):
				refusals++
				s.failed(err)
			default:
				refusals = 0
				s.failed(err)
			}
		case <-clk.After(ProbeTimeout):
			refusals = 0
			s.failed(fmt.Errorf("no answer within %s", ProbeTimeout))
		}
		cancel()
	}
}
