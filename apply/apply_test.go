package apply_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/config"
	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
)

// host is a fake kernel with fixed links that never change.
type host struct {
	*fake.Kernel
	links []gateway.Link
}

func (h host) Links() ([]gateway.Link, error) { return h.links, nil }

func (h host) Subscribe(<-chan struct{}) (<-chan struct{}, error) { return make(chan struct{}), nil }

func newHost(routes ...string) host {
	return host{Kernel: fake.New(routes...), links: []gateway.Link{{
		Name: "eth0", Up: true,
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.240.0.10/24"), netip.MustParsePrefix("fd00:240::10/64")},
	}}}
}

type discard struct{}

func (discard) Infof(string, ...any) {}

// cfg is a config of "DST via GW" routes, metric 100.
func cfg(routes ...string) config.Config {
	c := config.Config{Node: "node-0", Metric: config.DefaultMetric}
	for _, r := range routes {
		dst, gw, _ := strings.Cut(r, " via ")
		c.Routes = append(c.Routes, config.Route{
			Destination: netip.MustParsePrefix(dst), Gateway: netip.MustParseAddr(gw), Peer: "node-" + dst[7:8],
		})
	}
	return c
}

func TestApplyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, route, want string
	}{
		{"default", "0.0.0.0/0 via 10.240.0.1", "route 0.0.0.0/0 via 10.240.0.1: a default route"},
		{"connected", "10.240.0.0/16 via 10.240.0.1",
			"route 10.240.0.0/16 via 10.240.0.1: destination overlaps 10.240.0.10/24 on eth0, a subnet this host is directly connected to"},
		{"own address", "fd00:240::/48 via fd00:240::1", "destination overlaps fd00:240::10/64 on eth0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost()
			_, err := apply.Apply(context.Background(), h, cfg("10.200.1.0/24 via 10.240.0.21", tc.route), apply.Options{Log: discard{}})
			if !apply.IsRefused(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a refusal containing %q", err, tc.want)
			}
			if h.Writes() != 0 {
				t.Errorf("%d writes, want none", h.Writes())
			}
		})
	}
}

func TestApplyDryRun(t *testing.T) {
	h := newHost(
		"10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.99 dev eth0 proto boot metric 0",
	)
	var out bytes.Buffer
	_, err := apply.Apply(context.Background(), h, cfg("10.200.1.0/24 via 10.240.0.21", "10.200.2.0/24 via 10.240.0.22"),
		apply.Options{DryRun: true, Out: &out, Log: discard{}})
	if err == nil || !strings.Contains(err.Error(), "another owner (boot) holds the destination") {
		t.Errorf("error %v, want the conflict", err)
	}
	want := `add      10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100  # node-1
leave    10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100  # held by another owner
delete   10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100  # no longer in the config
`
	if out.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", out.String(), want)
	}
	if h.Writes() != 0 {
		t.Errorf("dry run made %d writes", h.Writes())
	}
}

func TestApplyUnreachableGateway(t *testing.T) {
	h := newHost()
	res, err := apply.Apply(context.Background(), h, cfg("10.200.1.0/24 via 10.240.0.21", "10.200.2.0/24 via 10.99.0.22"),
		apply.Options{Log: discard{}})
	var ue *gateway.UnreachableError
	if !errors.As(err, &ue) || len(ue.Targets) != 1 || ue.Targets[0].Gw.String() != "10.99.0.22" {
		t.Fatalf("error %v, want 10.99.0.22 unreachable", err)
	}
	// The fake kernel does not check gateways: both routes went in.
	if res.InPlace != 2 {
		t.Errorf("%d routes in place, want 2 (the rest is applied)", res.InPlace)
	}
}

// TestRemove: every route of podroutes' goes, whatever its destination;
// other owners' routes stay.
func TestRemove(t *testing.T) {
	routes := []string{
		"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100",
		"10.200.3.0/24 via 10.240.0.23 dev eth0 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.99 dev eth0 proto static metric 0",
	}
	h := newHost(routes...)
	if _, err := apply.Remove(context.Background(), h, discard{}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.String(), routes[2]+"\n"; got != want {
		t.Errorf("after remove:\n%s\nwant:\n%s", got, want)
	}
}
