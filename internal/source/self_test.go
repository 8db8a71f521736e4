package source

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/notify"
)

// selfInventory is node-0 (10.240.0.20) and node-1 (10.240.0.21).
var selfInventory = inventory.Inventory{Source: "m.txt", Hosts: []inventory.Host{
	{Name: "node-0", FQDN: "node-0.k.local", Addrs: []netip.Addr{netip.MustParseAddr("10.240.0.20")}, Line: 1},
	{Name: "node-1", FQDN: "node-1.k.local", Addrs: []netip.Addr{netip.MustParseAddr("10.240.0.21")}, Line: 2},
}}

// bootHost is a host at boot: its hostname, and its eth0's addresses at
// each look (the last one stays), each look after the first told by an
// address change.
type bootHost struct {
	hostname string
	looks    [][]string
	n        int
}

func (h *bootHost) local() ([]gateway.Link, string, error) {
	addrs := h.looks[min(h.n, len(h.looks)-1)]
	h.n++
	l := gateway.Link{Name: "eth0", Up: true}
	for _, a := range addrs {
		l.Prefixes = append(l.Prefixes, netip.PrefixFrom(netip.MustParseAddr(a), 24))
	}
	return []gateway.Link{l}, h.hostname, nil
}

// changes are as many address changes as h has looks after the first.
func (h *bootHost) changes(done <-chan struct{}) (<-chan struct{}, error) {
	c := make(chan struct{}, len(h.looks))
	for range len(h.looks) - 1 {
		c <- struct{}{}
	}
	return c, nil
}

// TestSelfAddressFirst: at boot, the address says which host this is;
// the hostname is taken only when the wait ends with no address of the
// inventory's on the host, and a hostname that names another host than
// the address is refused (exit 2), not planned.
func TestSelfAddressFirst(t *testing.T) {
	for _, tc := range []struct {
		name     string
		hostname string
		looks    [][]string
		wait     time.Duration
		want     string // the host, else the error
		logged   string
	}{
		{"the address comes late", "laptop", [][]string{nil, {"10.240.0.21"}}, time.Hour, "node-1",
			"waiting up to 1h0m0s for an address that says which host of m.txt this is"},
		{"the hostname's address comes late", "node-0", [][]string{nil, {"10.240.0.20"}}, time.Hour, "node-0",
			"waiting up to 1h0m0s for an address that says which host of m.txt this is (its hostname says node-0)"},
		{"another host's address comes late", "node-0", [][]string{nil, {"192.168.1.5"}, {"10.240.0.21"}}, time.Hour,
			`m.txt: which host is this? by address it is node-1 (line 2, 10.240.0.21), by its hostname "node-0" it is node-0 (line 1); correct the address or the hostname, or say which with --node`, ""},
		{"no address in the wait", "node-0", [][]string{{"192.168.1.5"}}, time.Nanosecond, "node-0", "(its hostname says node-0)"},
		{"no wait", "NODE-0.k.local", [][]string{nil}, 0, "node-0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &bootHost{hostname: tc.hostname, looks: tc.looks}
			var log strings.Builder
			s := &Source{}
			got, err := s.self(context.Background(), selfInventory, Host{Local: h.local, Changes: h.changes, Log: notify.NewLogger(&log)}, tc.wait)
			switch {
			case err != nil && (got != "" || err.Error() != tc.want || !IsInput(err)):
				t.Errorf("%q, %v; want %s", got, err, tc.want)
			case err == nil && got != tc.want:
				t.Errorf("this host is %s, want %s", got, tc.want)
			}
			if h.n < len(tc.looks) {
				t.Errorf("decided after %d looks, before the last address came", h.n)
			}
			if !strings.Contains(log.String(), tc.logged) {
				t.Errorf("log:\n%s\nwant %q", &log, tc.logged)
			}
		})
	}
}

// TestSelfLogged: apply and watch log which host this is and what said
// so, once: again only when it changes (a reload, the Nodes' updates).
func TestSelfLogged(t *testing.T) {
	var log strings.Builder
	logger := notify.NewLogger(&log)
	s := &Source{}
	for _, look := range []struct {
		node, hostname string
		addrs          []string
		want           string // the line logged, "" for none
	}{
		{"", "laptop", []string{"192.168.1.5", "10.240.0.20"}, "this host is node-0 of m.txt (by address 10.240.0.20 on eth0)\n"},
		{"", "laptop", []string{"10.240.0.20"}, ""},
		{"", "node-1.k.local", []string{"192.168.1.5"}, "this host is node-1 of m.txt (by hostname node-1.k.local)\n"},
		{"NODE-0", "node-1", nil, "this host is node-0 of m.txt (by --node)\n"},
		{"node-0", "node-1", nil, ""},
	} {
		// The options of a run, and what was logged before it.
		s = &Source{o: Options{Node: look.node}, identity: s.identity}
		h := &bootHost{hostname: look.hostname, looks: [][]string{look.addrs}}
		log.Reset()
		if _, err := s.self(context.Background(), selfInventory, Host{Local: h.local, Log: logger}, 0); err != nil {
			t.Fatal(err)
		}
		if log.String() != look.want {
			t.Errorf("%+v: logged %q, want %q", look, &log, look.want)
		}
	}
}
