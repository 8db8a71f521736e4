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

// TestRefusalHeld, on an injected clock: a refusal with neither an
// answer nor an outage before it is the kubeconfig's at once (the
// remedy, final); one after an outage (an API server starting with the
// host) or after the API server has answered podroutes (a restarting
// one refuses, now and then even after an answer, until its authorizer
// is ready) is held: logged at most once in startGrace, its end not said
// when it was not, and the kubeconfig's only once it outlasts startGrace.
func TestRefusalHeld(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1e9, 0))
	log := &logtest.Lines{T: t}
	a := apiState{host: "https://10.240.0.10:6443", log: log, clock: clk, recovered: func() {}}
	down := errors.New("dial tcp 10.240.0.10:6443: connect: connection refused")
	refused := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "podroutes" cannot list resource "nodes"`))
	const (
		remedy = "bind it to a ClusterRole"
		held   = "as a restarting API server does until its authorizer is ready"
		again  = "answers again"
	)
	step := func(what string, err error, d time.Duration, wantFinal bool, wantRemedies, wantHeld int) {
		t.Helper()
		clk.Step(d)
		failure, final := a.failed(err)
		if !failure || final != wantFinal {
			t.Errorf("%s: failure %v, final %v; want a failure, final %v", what, failure, final, wantFinal)
		}
		for _, c := range []struct {
			s    string
			want int
		}{{remedy, wantRemedies}, {held, wantHeld}} {
			if n := log.Count(c.s); n != c.want {
				t.Errorf("%s: %q logged %d times, want %d:\n%s", what, c.s, n, c.want, log)
			}
		}
	}
	ok := func(what string, d time.Duration, wantAgain int) {
		t.Helper()
		clk.Step(d)
		a.ok()
		if n := log.Count(again); n != wantAgain {
			t.Errorf("%s: %q logged %d times, want %d:\n%s", what, again, n, wantAgain, log)
		}
	}

	step("refused, nothing before", refused, 0, true, 1, 0)
	step("unreachable", down, time.Second, false, 1, 0)
	step("refused after the outage", refused, time.Second, false, 1, 1)
	step("still refused within the grace", refused, startGrace-time.Millisecond, false, 1, 1)
	step("refused past the grace", refused, time.Millisecond, true, 2, 1)
	ok("answered", time.Second, 1)
	step("refused after an answer", refused, 10*time.Second, false, 2, 2)
	ok("answered again", time.Second, 2)
	step("refused again, soon after the last held one", refused, 5*time.Second, false, 2, 2)
	ok("answered after a refusal not logged", time.Second, 2)
	step("refused a grace after the last held one logged", refused, 15*time.Second, false, 2, 3)
	step("refused for the grace", refused, startGrace, true, 3, 3)
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
