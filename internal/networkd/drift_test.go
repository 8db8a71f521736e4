package networkd

import (
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/filetest"
)

var node0 = config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
	{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.240.0.21")},
	{Destination: netip.MustParsePrefix("10.200.2.0/24"), Gateway: netip.MustParseAddr("192.168.9.1"), OnLink: true},
	{Destination: netip.MustParsePrefix("fd00:200:1::/64"), Gateway: netip.MustParseAddr("fd00:240::21")},
}}

// dropIn is what Render writes for c.
func dropIn(t *testing.T, c config.Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, c, "10-netplan-eth0.network", "machines.txt"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDropInDrift: what Render writes agrees with its config; an edit
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
			got, err := Drift([]byte(tc.data), node0)
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
		if _, err := Drift([]byte(data), node0); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", data, err, want)
		}
	}
}

// TestFindDrift: check's look at the podroutes drop-ins in networkd's
// directories names, with its path, each route of one that disagrees
// with the config (here gen's, left from before a node moved) and a
// drop-in it cannot read; one that agrees, or another drop-in of the
// .network file, says nothing.
func TestFindDrift(t *testing.T) {
	etc, run := filepath.Join(t.TempDir(), "etc[x]"), t.TempDir() // a path, not a pattern
	defer func(dirs []string) { Dirs = dirs }(Dirs)
	Dirs = []string{etc, run}
	cfg := config.Config{Node: "node-0", Metric: 100, Routes: []config.Route{
		{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.240.0.21")}}}
	agrees := "[Route]\nDestination=10.200.1.0/24\nGateway=10.240.0.21\nProtocol=157\nMetric=100\n"

	filetest.Write(t, filepath.Join(etc, "10-eth0.network.d", "10-mtu.conf"), "[Link]\nMTUBytes=9000\n", 0o644)
	filetest.Write(t, filepath.Join(run, "10-eth0.network.d", DropInName), agrees, 0o644)
	if got := FindDrift(cfg); got != nil {
		t.Errorf("drop-ins that agree: %q", got)
	}
	old := filetest.Write(t, filepath.Join(etc, "10-eth0.network.d", DropInName), strings.Replace(agrees, "0.21", "0.31", 1), 0o644)
	bad := filetest.Write(t, filepath.Join(etc, "20-br0.network.d", DropInName), "[Route]\nMetric=-1\n", 0o644)
	want := []string{
		old + ": has 10.200.1.0/24 via 10.240.0.31 proto podroutes metric 100, which the config does not want: networkd would add it",
		old + ": lacks 10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100: networkd would drop it",
		bad + ": line 2: Metric=-1: want a number from 0 to 4294967295",
	}
	if got := FindDrift(cfg); !slices.Equal(got, want) {
		t.Errorf("drift:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
	if err := Render(&buf, c, "10-netplan-eth0.network", "machines.txt"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if drift, err := Drift(buf.Bytes(), c); err != nil || drift != nil {
			b.Fatal(drift, err)
		}
	}
}
