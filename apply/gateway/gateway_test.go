package gateway_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/gateway"
)

func link(name string, up bool, prefixes ...string) gateway.Link {
	l := gateway.Link{Name: name, Up: up}
	for _, p := range prefixes {
		l.Prefixes = append(l.Prefixes, netip.MustParsePrefix(p))
	}
	return l
}

func target(gw, dev string, onlink bool) gateway.Target {
	return gateway.Target{Gw: netip.MustParseAddr(gw), Dev: dev, OnLink: onlink}
}

func TestUnreachable(t *testing.T) {
	links := []gateway.Link{
		link("eth0", true, "10.240.0.10/24", "fd00:240::10/64"),
		link("eth1", false, "10.241.0.10/24"),
		link("eth2", true),
	}
	for _, tc := range []struct {
		t    gateway.Target
		want bool
	}{
		{target("10.240.0.21", "", false), true},
		{target("fd00:240::21", "", false), true},
		{target("10.240.0.21", "eth0", false), true},
		{target("10.240.0.21", "eth2", false), false}, // not on that link
		{target("10.241.0.21", "", false), false},     // link down
		{target("10.99.0.1", "", false), false},
		{target("10.99.0.1", "eth2", true), true}, // onlink: the link is enough
		{target("10.99.0.1", "eth1", true), false},
	} {
		got := len(gateway.Unreachable(links, []gateway.Target{tc.t})) == 0
		if got != tc.want {
			t.Errorf("%v reachable = %v, want %v", tc.t, got, tc.want)
		}
	}
}

// source is a gateway.Source whose links tests change.
type source struct {
	mu      sync.Mutex
	links   []gateway.Link
	changes chan struct{}
	order   []string
}

func (s *source) Links() ([]gateway.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = append(s.order, "links")
	return s.links, nil
}

func (s *source) Subscribe(<-chan struct{}) (<-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = append(s.order, "subscribe")
	return s.changes, nil
}

func (s *source) set(links ...gateway.Link) {
	s.mu.Lock()
	s.links = links
	s.mu.Unlock()
	s.changes <- struct{}{}
}

func TestWaitBecomesReachable(t *testing.T) {
	src := &source{links: []gateway.Link{link("eth0", true)}, changes: make(chan struct{})}
	go func() {
		time.Sleep(50 * time.Millisecond)
		src.set(link("eth0", true, "10.240.0.10/24"))
	}()
	_, err := gateway.Wait(context.Background(), src, []gateway.Target{target("10.240.0.21", "", false)}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if src.order[0] != "subscribe" {
		t.Errorf("calls %v: must subscribe before the first check", src.order)
	}
}

func TestWaitTimeout(t *testing.T) {
	src := &source{links: []gateway.Link{link("eth0", true, "10.240.0.10/24")}, changes: make(chan struct{})}
	ts := []gateway.Target{target("10.240.0.21", "", false), target("10.99.0.1", "", false), target("10.98.0.1", "eth0", false)}
	for _, wait := range []time.Duration{0, 100 * time.Millisecond} {
		links, err := gateway.Wait(context.Background(), src, ts, wait)
		want := "gateways unreachable after waiting " + wait.String() +
			" (no up link has an address on their subnet): 10.99.0.1, 10.98.0.1 on eth0"
		if err == nil || err.Error() != want {
			t.Errorf("wait %s: %v, want %s", wait, err, want)
		}
		if len(links) != 1 {
			t.Errorf("wait %s: links %v, want the last ones seen", wait, links)
		}
		if !errors.Is(err, syscall.ENETUNREACH) {
			t.Errorf("wait %s: %v is not ENETUNREACH", wait, err)
		}
	}
}
