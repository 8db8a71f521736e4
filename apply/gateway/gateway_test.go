package gateway_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
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

// TestVia: the link a gateway is reached on is the up link with the
// longest prefix holding it, and none when two links tie.
func TestVia(t *testing.T) {
	links := []gateway.Link{
		link("eth0", true, "10.240.0.10/16"),
		link("br0", true, "10.240.0.10/24"),
		link("eth1", false, "10.240.1.10/24"),
		link("eth2", true, "10.250.0.1/24"),
		link("eth3", true, "10.250.0.2/24"),
	}
	for _, tc := range []struct{ gw, want string }{
		{"10.240.0.21", "br0"},  // the longer prefix wins
		{"10.240.1.21", "eth0"}, // eth1 is down
		{"10.250.0.9", ""},      // eth2 and eth3 tie
		{"10.99.0.1", ""},
	} {
		got, ok := gateway.Via(links, netip.MustParseAddr(tc.gw))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Via(%s) = %q, %v; want %q", tc.gw, got, ok, tc.want)
		}
	}
}

func TestUnreachableError(t *testing.T) {
	err := &gateway.UnreachableError{Targets: []gateway.Target{target("10.99.0.1", "", false), target("10.98.0.1", "eth0", false)}, Waited: 2 * time.Second}
	want := "gateways 10.99.0.1, 10.98.0.1 on eth0 unreachable after waiting 2s (no up link has an address on their subnet)"
	if err.Error() != want {
		t.Errorf("%q, want %q", err, want)
	}
	if !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("%v is not ENETUNREACH", err)
	}
	err.OffLinkHint = true
	if !strings.HasPrefix(err.Error(), want+"; if they are on another network, --off-link vxlan") {
		t.Errorf("with the off-link hint: %q", err)
	}
}

func TestUnreachableNamesTen(t *testing.T) {
	var ts []gateway.Target
	for i := range 25 {
		ts = append(ts, target(fmt.Sprintf("10.99.0.%d", i+1), "", false))
	}
	want := "gateways 10.99.0.1, 10.99.0.2, 10.99.0.3, 10.99.0.4, 10.99.0.5, 10.99.0.6, 10.99.0.7, 10.99.0.8, 10.99.0.9, 10.99.0.10 and 15 more"
	if got := (&gateway.UnreachableError{Targets: ts}).Names(); got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
