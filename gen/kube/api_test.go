package kube

import (
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/podroutes/podroutes/internal/logtest"
)

// TestRefusalAfterOutage, on an injected clock: a refusal right after the
// API server was unreachable (a restarted one refuses until its
// authorizer is ready) is not said to be the kubeconfig's, nor final,
// until it has lasted refusalGrace; one with no outage before it is, at
// once; an answer ends it.
func TestRefusalAfterOutage(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	log := &logtest.Lines{T: t}
	a := apiState{host: "https://10.240.0.10:6443", log: log, clock: clk, recovered: func() {}}
	down := errors.New("dial tcp 10.240.0.10:6443: connect: connection refused")
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "podroutes" cannot list resource "nodes"`))
	const remedy = "bind it to a ClusterRole"
	step := func(what string, err error, d time.Duration, wantFinal bool, wantRemedies int) {
		t.Helper()
		clk.Step(d)
		failure, final := a.failed(err)
		if !failure || final != wantFinal {
			t.Errorf("%s: failure %v, final %v; want a failure, final %v", what, failure, final, wantFinal)
		}
		if n := log.Count(remedy); n != wantRemedies {
			t.Errorf("%s: the remedy logged %d times, want %d:\n%s", what, n, wantRemedies, log)
		}
	}

	step("unreachable", down, 0, false, 0)
	step("refused after the outage", refused, time.Second, false, 0)
	if log.Count("unreachable a moment ago, refuses the kubeconfig's user") != 1 {
		t.Errorf("the refusal after the outage is not said as one:\n%s", log)
	}
	step("still refused, within the grace", refused, refusalGrace-time.Second, false, 0)
	a.ok()
	step("unreachable again", down, time.Second, false, 0)
	step("refused after the second outage", refused, time.Second, false, 0)
	step("refused within the grace", refused, refusalGrace/2, false, 0)
	step("refused for the grace", refused, refusalGrace/2, true, 1)
	step("refused after", refused, time.Second, true, 1)
	a.ok()
	step("refused with no outage before it", refused, time.Second, true, 2)
}

// TestListWaitsOutARefusalAfterOutage: List, which gives up on a refusal
// (the boot's apply --kubeconfig), does not give up on one right after
// an outage (an API server starting with the host) until it has lasted
// refusalGrace, and then says why.
func TestListWaitsOutARefusalAfterOutage(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	s := &Source{fatal: make(chan error, 1)}
	s.api = apiState{host: "https://10.240.0.10:6443", log: &logtest.Lines{T: t}, clock: clk, recovered: func() {}, once: true}
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "podroutes" cannot list resource "nodes"`))
	s.failed(errors.New("dial tcp 10.240.0.10:6443: connect: connection refused"))
	s.failed(refused)
	clk.Step(refusalGrace - time.Second)
	s.failed(refused)
	select {
	case err := <-s.fatal:
		t.Fatalf("List gave up within the grace: %v", err)
	default:
	}
	clk.Step(time.Second)
	s.failed(refused)
	select {
	case err := <-s.fatal:
		if want := "listing the Nodes: the kubeconfig's user may not list and watch Nodes at https://10.240.0.10:6443"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("List gave up with %q, want %q", err, want)
		}
	default:
		t.Fatal("List did not give up on a refusal that lasted the grace")
	}
}
