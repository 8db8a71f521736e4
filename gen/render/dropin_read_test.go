package render

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
)

var node0 = config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
	{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.240.0.21")},
	{Destination: netip.MustParsePrefix("10.200.2.0/24"), Gateway: netip.MustParseAddr("192.168.9.1"), OnLink: true},
	{Destination: netip.MustParsePrefix("fd00:200:1::/64"), Gateway: netip.MustParseAddr("fd00:240::21")},
}}

// dropIn is what DropIn writes for c.
func dropIn(t *testing.T, c config.Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := DropIn(&b, plan.Node{Config: c, NetworkFile: "10-netplan-eth0.network"}, "machines.txt"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDropInDrift: what DropIn writes agrees with its config; an edit
// of it, or a config changed since, is named route by route, as `ip
// route` would print it; systemd's defaults fill what a section leaves
// out.
func TestDropInDrift(t *testing.T) {
	written := dropIn(t, node0)
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{name: "as written", data: written},
		{name: "a gateway edited", data: strings.Replace(written, "Gateway=10.240.0.21", "Gateway=10.240.0.99", 1), want: []string{
			"has 10.200.1.0/24 via 10.240.0.99 proto podroutes metric 100, which the config does not want: networkd would add it",
			"lacks 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100: networkd would drop it"}},
		{name: "onlink lost, an edit in systemd's words", data: strings.Replace(written, "GatewayOnLink=yes", "GatewayOnLink = false", 1), want: []string{
			"has 10.200.2.0/24 via 192.168.9.1 proto podroutes metric 100, which the config does not want: networkd would add it",
			"lacks 10.200.2.0/24 via 192.168.9.1 onlink proto podroutes metric 100: networkd would drop it"}},
		{name: "a route of its own, with systemd's defaults", data: written + "\n[Route]\nDestination=fd00:9::1\nGateway=fd00:240::1\n", want: []string{
			"has fd00:9::1/128 via fd00:240::1 proto static metric 1024, which the config does not want: networkd would add it"}},
		{name: "other sections are not routes", data: "[Network]\nDestination=10.200.1.0/24\n" + written + "[Link]\nMTUBytes=9000\n"},
		{name: "a route gone", data: written[:strings.LastIndex(written, "[Route]")], want: []string{
			"lacks fd00:200:1::/64 via fd00:240::21 proto podroutes metric 100: networkd would drop it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DropInDrift([]byte(tc.data), node0)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("drift %q, %v\nwant %q", got, err, tc.want)
			}
		})
	}
}

// TestDropInDriftUnreadable: a value networkd would not take is an error
// naming its line.
func TestDropInDriftUnreadable(t *testing.T) {
	for data, want := range map[string]string{
		"[Route]\nDestination=10.200.1.0/33\n": "line 2: Destination=10.200.1.0/33: ",
		"\n[Route]\nGateway\n":                 `line 3: "Gateway" is no KEY=VALUE`,
		"[Route]\nGatewayOnLink=maybe\n":       "line 2: GatewayOnLink=maybe: want yes or no",
		"[Route]\nProtocol=nobody\n":           "line 2: Protocol=nobody: want a protocol number or name",
	} {
		if _, err := DropInDrift([]byte(data), node0); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", data, err, want)
		}
	}
}

// BenchmarkDropInDrift5000: what apply and watch add to each (re)load on
// a networkd host of a 5000-node cluster, with gen's drop-in in place.
func BenchmarkDropInDrift5000(b *testing.B) {
	c := config.Config{Node: "node-0", Metric: 100}
	for i := range 5000 {
		c.Routes = append(c.Routes, config.Route{
			Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + i/256), byte(i % 256), 0}), 24),
			Gateway:     netip.AddrFrom4([4]byte{10, 240, byte(i / 256), byte(i % 256)})})
	}
	var buf bytes.Buffer
	if err := DropIn(&buf, plan.Node{Config: c, NetworkFile: "10-netplan-eth0.network"}, "machines.txt"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if drift, err := DropInDrift(buf.Bytes(), c); err != nil || drift != nil {
			b.Fatal(drift, err)
		}
	}
}
