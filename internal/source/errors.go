package source

import (
	"errors"

	"github.com/podroutes/podroutes/apply/watch"
)

// Error is a source's error: bad input (Input: a file, flag or Node the
// user must fix; podroutes exits 2) or a failure (exit 1).
type Error struct {
	Input bool
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsInput reports whether err is a source's bad input.
func IsInput(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Input
}

func inputError(err error) error { return &Error{Input: true, Err: err} }

func failure(err error) error { return &Error{Err: err} }

// hostUnknown is plan.Self's error that no host is this one, found by
// address or hostname: an address change may find it, and watch loads
// again at each (watch.ErrHostUnknown).
type hostUnknown struct{ error }

func (e *hostUnknown) Unwrap() []error { return []error{e.error, watch.ErrHostUnknown} }
