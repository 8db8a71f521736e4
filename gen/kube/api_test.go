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

// TestRefusalAfterOutage, on an injected clock: a refusal within
// startGrace of the API server's outage (a restarted one refuses, now and
// then even after an answer, until its authorizer is ready) is said once
// as a starting API server's, is not final, and its end is said once; a
// refusal that outlasts it, or that no outage came shortly before, is
// the kubeconfig's: logged with the remedy, final.
func TestRefusalAfterOutage(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	log := &logtest.Lines{T: t}
	a := apiState{host: "https://10.240.0.10:6443", log: log, clock: clk, recovered: func() {}}
	down := errors.New("dial tcp 10.240.0.10:6443: connect: connection refused")
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "podroutes" cannot list resource "nodes"`))
	const (
		remedy   = "bind it to a ClusterRole"
		starting = "unreachable a moment ago, refuses the kubeconfig's user"
		again    = "answers again"
	)
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
	lines := func(what, s string, want int) {
		t.Helper()
		if n := log.Count(s); n != want {
			t.Errorf("%s: %q logged %d times, want %d:\n%s", what, s, n, want, log)
		}
	}

	step("unreachable", down, 0, false, 0)
	step("refused after the outage", refused, time.Second, false, 0)
	lines("refused after the outage", starting, 1)
	step("still refused", refused, 5*time.Second, false, 0)
	a.ok()
	lines("answered", again, 1)
	step("refused again after an answer, within the grace", refused, 5*time.Second, false, 0)
	a.ok()
	lines("a second refusal and answer", starting, 1)
	lines("a second refusal and answer", again, 1)
	step("refused at the end of the grace", refused, startGrace-11*time.Second-time.Millisecond, false, 0)
	step("refused past the grace", refused, time.Millisecond, true, 1)
	step("refused after", refused, time.Second, true, 1)
	a.ok()
	lines("answered after the remedy", again, 2)

	step("unreachable again", down, time.Second, false, 1)
	step("refused after the second outage", refused, time.Second, false, 1)
	lines("refused after the second outage", starting, 2)
	a.ok()
	step("refused with no outage within the grace", refused, startGrace, true, 2)
}

// TestListWaitsOutARefusalAfterOutage: List, which gives up on a refusal
// (the boot's apply --kubeconfig), does not give up on one right after
// an outage (an API server starting with the host) until it outlasts
// startGrace, and then says why.
func TestListWaitsOutARefusalAfterOutage(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	s := &Source{fatal: make(chan error, 1)}
	s.api = apiState{host: "https://10.240.0.10:6443", log: &logtest.Lines{T: t}, clock: clk, recovered: func() {}, once: true}
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "podroutes" cannot list resource "nodes"`))
	s.failed(errors.New("dial tcp 10.240.0.10:6443: connect: connection refused"))
	s.failed(refused)
	clk.Step(startGrace - time.Second)
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
