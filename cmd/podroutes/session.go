package main

import (
	"context"
	"io"

	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/internal/session"
)

// begin starts a session (session.Begin), taking the lock lk names unless
// lk is nil; its errors are failures. End releases what begin took.
func begin(ctx context.Context, stderr io.Writer, lk *session.Lock, ko kernel.Options) (*session.Session, error) {
	s, err := session.Begin(ctx, stderr, lk, ko)
	if err != nil {
		return nil, failure(err)
	}
	return s, nil
}

// mayChangeRoutes is the failure of podroutes cmd when this process may
// not change routes (session.MayChangeRoutes), nil when it may.
func mayChangeRoutes(cmd string) error {
	if err := session.MayChangeRoutes(); err != nil {
		return failed(cmd, err)
	}
	return nil
}
