package kube

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"

	"github.com/podroutes/podroutes/internal/logs"
)

// errKind sorts the errors of the API server by what they mean for a
// person: the log says each kind once, not each retry.
type errKind int

const (
	noError      errKind = iota
	unreachable          // no answer, or a failure of the server
	unauthorized         // 401: the credentials are rejected
	forbidden            // 403: the user may not list or watch Nodes
)

// classify sorts err; the normal end of a watch, and a version too old to
// watch from (the reflector lists again), are no error.
func classify(err error) errKind {
	switch {
	case err == nil, errors.Is(err, io.EOF), apierrors.IsResourceExpired(err), apierrors.IsGone(err):
		return noError
	case apierrors.IsUnauthorized(err):
		return unauthorized
	case apierrors.IsForbidden(err):
		return forbidden
	}
	return unreachable
}

// final reports whether waiting cannot mend a failure of this kind: the
// credentials, or their rights, must change first.
func (k errKind) final() bool { return k == unauthorized || k == forbidden }

// startGrace is how long a refusal is held, not taken for the
// kubeconfig's (logged without the remedy; List does not give up on it),
// when the API server answered podroutes before or was unreachable a
// moment ago: a restarting API server refuses requests, now and then
// even after it has answered one, until its authorizer has read its roles
// (a second or two; several on a loaded host). A refusal that outlasts it
// is the kubeconfig's; so is one with neither before it, at once.
const startGrace = 2 * ProbeEvery

// apiState is how the API server answered last, so that an outage is
// logged when it starts (or changes kind) and when it ends, not at each
// of client-go's retries.
type apiState struct {
	host      string
	log       logs.Logger
	recovered func()     // called when the API server answers again
	answering func(bool) // Options.Answering, or nil
	// once: a List, which ends on a failure waiting cannot mend (final)
	// and returns it; such a failure is not logged as retried.
	once bool

	// fell, if set, is signalled (without blocking) when the API server
	// is found unreachable: the heartbeat then asks every RetryEvery.
	fell chan<- struct{}
	// clock times the refusals held (startGrace).
	clock clock.PassiveClock

	mu   sync.Mutex
	kind errKind
	last error
	// served: the API server has answered podroutes; down is when it was
	// last found unreachable. held is when the refusal now began, if it
	// is held; warned, when a held refusal was last logged; quiet, that
	// the failure now was not logged (nor will its end be).
	served       bool
	down         time.Time
	held, warned time.Time
	quiet        bool
	told         int // what answering was last told: 0 nothing, 1 false, 2 true
}

// failed records err and logs it if it is a new kind of failure (a held
// refusal at most once in startGrace), or a held refusal that has
// outlasted startGrace; it reports whether err is a failure at all, and
// whether it is final: a refusal (errKind.final) not held.
func (a *apiState) failed(err error) (failure, final bool) {
	kind := classify(err)
	if kind == noError {
		return false, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = err
	now := a.clock.Now()
	switch {
	case kind != a.kind && kind.final() && (a.served || !a.down.IsZero() && now.Sub(a.down) < startGrace):
		a.kind, a.held = kind, now
		a.quiet = !a.warned.IsZero() && now.Sub(a.warned) < startGrace
		if !a.quiet {
			a.warned = now
			a.log.Warnf("the Kubernetes API at %s refuses the kubeconfig's user (%v), as a restarting API server does "+
				"until its authorizer is ready: taken for the user's rights only if it lasts %s; the routes stay as they are; %s",
				a.host, err, startGrace, retrying(kind))
		}
	case kind != a.kind, !a.held.IsZero() && now.Sub(a.held) >= startGrace:
		a.kind, a.held, a.quiet = kind, time.Time{}, false
		if !a.once || !kind.final() {
			a.log.Errorf("%s; the routes stay as they are; %s", a.describe(err), retrying(kind))
		}
		if kind == unreachable && a.fell != nil {
			select {
			case a.fell <- struct{}{}:
			default:
			}
		}
	}
	if kind == unreachable {
		a.down = now
	}
	a.tell(false)
	return true, kind.final() && a.held.IsZero()
}

// tell tells answering that the API server answers, or not, if that
// changed. The caller holds a.mu.
func (a *apiState) tell(up bool) {
	v := 1
	if up {
		v = 2
	}
	if a.answering != nil && a.told != v {
		a.told = v
		a.answering(up)
	}
}

// retrying says when a failure of kind is tried again.
func retrying(kind errKind) string {
	if kind == unreachable {
		return fmt.Sprintf("asking it again every %s, and following the Nodes again as soon as it answers", RetryEvery)
	}
	return fmt.Sprintf("asking it again %s doubling to %s apart, and following the Nodes again as soon as it answers", RetryEvery, ProbeEvery)
}

// state is the kind of the last failure, noError once the API server
// answered since.
func (a *apiState) state() errKind {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.kind
}

// ok records that a list or watch succeeded.
func (a *apiState) ok() {
	a.mu.Lock()
	was, quiet := a.kind, a.quiet
	a.kind, a.last, a.held, a.quiet, a.served = noError, nil, time.Time{}, false, true
	a.tell(true)
	a.mu.Unlock()
	if was != noError {
		if !quiet {
			a.log.Infof("the Kubernetes API at %s answers again; checking the routes against its Nodes", a.host)
		}
		a.recovered()
	}
}

// lastError is the last failure, if the API server has not answered
// since.
func (a *apiState) lastError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// describe says what err means.
func (a *apiState) describe(err error) string {
	switch classify(err) {
	case unauthorized:
		return fmt.Sprintf("the Kubernetes API at %s rejects the kubeconfig's credentials: %v", a.host, err)
	case forbidden:
		return fmt.Sprintf("the kubeconfig's user may not list and watch Nodes at %s: %v; "+
			"bind it to a ClusterRole that allows get, list and watch on nodes (examples/rbac.yaml)", a.host, err)
	}
	return fmt.Sprintf("the Kubernetes API at %s is unreachable: %v", a.host, err)
}
