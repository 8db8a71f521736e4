package source

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
)

// planSelf plans the routes of host self of inv, as `gen --node` does.
func (s *Source) planSelf(inv inventory.Inventory, self string) (plan.Node, error) {
	nodes, err := plan.Stream(inv, s.o.planOptions([]string{self}))
	if err != nil {
		return plan.Node{}, inputError(err)
	}
	for n := range nodes {
		return n, nil
	}
	return plan.Node{}, inputError(fmt.Errorf("%s: no plan for %s", inv.Source, self))
}

// self finds this host in inv (plan.Self), the address first. When no
// host has one of this host's addresses, it waits up to wait for an
// address change (h.Changes) and looks again: at boot the uplink, whose
// address says which host this is, may come up late, and a hostname taken
// before it would plan another host's routes when the address says
// otherwise. So the host whose name is the hostname is taken only when
// the wait ends with no address found. The caller holds s.mu.
func (s *Source) self(ctx context.Context, inv inventory.Inventory, h Host, wait time.Duration) (string, error) {
	var changes <-chan struct{}
	if wait > 0 && h.Changes != nil {
		done := make(chan struct{})
		defer close(done)
		var err error
		if changes, err = h.Changes(done); err != nil {
			return "", failure(fmt.Errorf("watching this host's addresses: %w", err))
		}
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for told := false; ; told = true {
		links, host, err := h.Local()
		if err != nil {
			return "", failure(fmt.Errorf("listing this host's addresses: %w", err))
		}
		found, err := plan.Self(inv, s.o.Node, addrsOf(links), host)
		byName := err == nil && found.How == plan.ByHostname
		if changes == nil || !byName && !errors.Is(err, plan.ErrNotFound) {
			if err != nil {
				s.identity = ""
				if errors.Is(err, plan.ErrNotFound) {
					err = &hostUnknown{err}
				}
				return "", inputError(err)
			}
			if line := identified(inv, found, links, host); line != s.identity {
				h.Log.Infof("%s", line)
				s.identity = line
			}
			return found.Name, nil
		}
		if !told {
			msg := fmt.Sprintf("waiting up to %s for an address that says which host of %s this is", wait, inv.Source)
			if byName {
				msg += fmt.Sprintf(" (its hostname says %s)", found.Name)
			}
			h.Log.Infof("%s", msg)
		}
		select {
		case <-ctx.Done():
			return "", failure(fmt.Errorf("stopped waiting for an address that says which host of %s this is: %w", inv.Source, ctx.Err()))
		case <-deadline.C:
			changes = nil // one last look, then the hostname or the error
		case _, ok := <-changes:
			if !ok {
				changes = nil
			}
		}
	}
}

// identified says which host of inv this is, and what said so: the
// address and its link, the hostname, or --node.
func identified(inv inventory.Inventory, found plan.Found, links []gateway.Link, hostname string) string {
	by := "by --node"
	switch found.How {
	case plan.ByAddr:
		by = "by address " + found.Addr.String()
		for _, l := range links {
			if slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Addr() == found.Addr }) {
				by += " on " + l.Name
				break
			}
		}
	case plan.ByHostname:
		by = "by hostname " + hostname
	}
	return fmt.Sprintf("this host is %s of %s (%s)", found.Name, inv.Source, by)
}

// addrsOf are the addresses of links.
func addrsOf(links []gateway.Link) []netip.Addr {
	var addrs []netip.Addr
	for _, l := range links {
		for _, p := range l.Prefixes {
			addrs = append(addrs, p.Addr())
		}
	}
	return addrs
}
