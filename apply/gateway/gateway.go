// Package gateway waits until the host can reach the gateways its routes
// need: an admin-up link with an address whose subnet holds the gateway, or,
// for an onlink route, its device up. It watches link and address changes;
// it never polls.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Link is a network interface and its addresses.
type Link struct {
	Name string
	// Up is IFF_UP: the link is administratively up.
	Up bool
	// Prefixes are the link's addresses with their prefix length
	// (10.240.0.10/24).
	Prefixes []netip.Prefix
}

// Target is a gateway a route needs.
type Target struct {
	Gw netip.Addr
	// Dev, if set, is the link the gateway must be reached on.
	Dev string
	// OnLink routes need only Dev up: the gateway is on it by decree.
	OnLink bool
}

func (t Target) String() string {
	if t.Dev == "" {
		return t.Gw.String()
	}
	return fmt.Sprintf("%s on %s", t.Gw, t.Dev)
}

// Source is the host's links, and a signal when they or their addresses
// change.
type Source interface {
	Links() ([]Link, error)
	// Subscribe sends on the returned channel after links or addresses
	// change, coalescing bursts, until done is closed; it closes the channel
	// if updates stop.
	Subscribe(done <-chan struct{}) (<-chan struct{}, error)
}

// Unreachable returns the targets no link in links can reach.
func Unreachable(links []Link, targets []Target) []Target {
	var out []Target
	for _, t := range targets {
		if !slices.ContainsFunc(links, func(l Link) bool { return reaches(l, t) }) {
			out = append(out, t)
		}
	}
	return out
}

func reaches(l Link, t Target) bool {
	if !l.Up || (t.Dev != "" && l.Name != t.Dev) {
		return false
	}
	return t.OnLink || slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Contains(t.Gw) })
}

// UnreachableError names the gateways still unreachable when the wait ended.
type UnreachableError struct {
	Targets []Target
	Waited  time.Duration
}

func (e *UnreachableError) Error() string {
	names := make([]string, len(e.Targets))
	for i, t := range e.Targets {
		names[i] = t.String()
	}
	return fmt.Sprintf("gateways unreachable after waiting %s (no up link has an address on their subnet): %s",
		e.Waited, strings.Join(names, ", "))
}

// Unwrap makes the error ENETUNREACH for errors.Is and errors.As.
func (e *UnreachableError) Unwrap() error { return syscall.ENETUNREACH }

// Wait returns once every target is reachable, or with an
// *UnreachableError naming those that are not after timeout; either way
// with the links it saw last. It subscribes to changes first and then
// checks, so no change falls between the two; it re-checks after each
// change. A timeout of 0 checks once.
func Wait(ctx context.Context, src Source, targets []Target, timeout time.Duration) ([]Link, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var changes <-chan struct{}
	if timeout > 0 {
		done := make(chan struct{})
		defer close(done)
		var err error
		if changes, err = src.Subscribe(done); err != nil {
			return nil, fmt.Errorf("watching links and addresses: %w", err)
		}
	}
	for {
		links, err := src.Links()
		if err != nil {
			return nil, fmt.Errorf("listing links and addresses: %w", err)
		}
		left := Unreachable(links, targets)
		if len(left) == 0 {
			return links, nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return links, ctx.Err()
			}
			return links, &UnreachableError{Targets: left, Waited: timeout}
		case _, ok := <-changes:
			if !ok {
				return links, errors.New("watching links and addresses: updates stopped")
			}
		}
	}
}
