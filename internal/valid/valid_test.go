package valid

import (
	"strings"
	"testing"
)

// TestRules: each rule accepts a good value ("" is no problem) and names
// what is wrong with a bad one; docs/inventory.md's "Bad input" lists these refusals,
// which every reader (inventories, routes.yaml, flags) shares through them.
func TestRules(t *testing.T) {
	addr := func(s string) string { _, msg := Addr("address", s); return msg }
	prefix := func(s string) string { _, msg := Prefix("subnet", s); return msg }
	metric := func(s string) string { _, msg := Metric(s); return msg }
	iface := func(s string) string { return Interface("uplink", s) }
	host := func(s string) string { return Hostname("hostname", s) }
	for _, tt := range []struct {
		rule func(string) string
		in   string
		want string // "" for a good value, else part of the message
	}{
		{addr, "10.240.0.20", ""},
		{addr, "fd00::20", ""},
		{addr, "fe80::1", ""},
		{addr, "10.240.0.20/24", "is a prefix; want one address"},
		{addr, "node-0", "is not an IP address"},
		{addr, "127.0.0.1", "is not a unicast address"},
		{addr, "::1", "is not a unicast address"},
		{addr, "224.0.0.1", "is not a unicast address"},
		{addr, "ff02::1", "is not a unicast address"},
		{addr, "0.0.0.0", "is not a unicast address"},
		{addr, "::", "is not a unicast address"},
		{addr, "fe80::1%eth0", "has a zone"},
		{addr, "169.254.169.254", "address 169.254.169.254 is in the link-local range 169.254.0.0/16"},
		{addr, "169.254.0.1", "is in the link-local range 169.254.0.0/16"},
		{addr, "::ffff:10.240.0.20", "write 10.240.0.20"},

		{prefix, "10.200.0.0/24", ""},
		{prefix, "fd00:200::/64", ""},
		{prefix, "10.200.0.1/24", "has host bits set; did you mean 10.200.0.0/24?"},
		{prefix, "0.0.0.0/0", "is a default route"},
		{prefix, "::/0", "is a default route"},
		{prefix, "10.200.0.0", "has no prefix length; did you mean 10.200.0.0/32?"},
		{prefix, "10.200.0.0/33", "is not a prefix like"},
		{prefix, "fd00::%eth0/64", "has a zone"},
		{prefix, "::ffff:10.200.0.0/120", "write 10.200.0.0/24"},
		{prefix, "169.254.0.0/16", "overlaps the link-local range 169.254.0.0/16"},
		{prefix, "169.254.169.254/32", "overlaps the link-local range 169.254.0.0/16"},
		{prefix, "128.0.0.0/1", "overlaps the link-local range 169.254.0.0/16"},
		{prefix, "127.1.0.0/16", "overlaps the loopback range 127.0.0.0/8"},
		{prefix, "0.0.0.0/8", `overlaps the "this network" range 0.0.0.0/8`},
		{prefix, "224.0.0.0/24", "overlaps the multicast range 224.0.0.0/4"},
		{prefix, "255.255.255.255/32", "overlaps the broadcast address"},
		{prefix, "fe80::/64", "overlaps the link-local range fe80::/10"},
		{prefix, "ff05::/16", "overlaps the multicast range ff00::/8"},
		{prefix, "::1/128", "overlaps the loopback address ::1/128"},
		{prefix, "::/128", "overlaps the unspecified address ::/128"},
		{prefix, "100.64.0.0/10", ""},
		{prefix, "240.0.0.0/8", ""},
		{prefix, "240.0.0.0/4", "overlaps the broadcast address 255.255.255.255/32"},
		{prefix, "2001:db8::/32", ""},
		{prefix, "10.255.255.0/24", ""},

		{metric, "0", ""},
		{metric, "100", ""},
		{metric, "4294967295", ""},
		{metric, "4294967296", "out of range"},
		{metric, "010", "leading zero"},
		{metric, "0x10", "want a decimal integer"},
		{metric, "-1", "want a decimal integer"},
		{metric, "", "want a decimal integer"},

		{iface, "eth0", ""},
		{iface, "enp1s0.100", ""},
		{iface, "", "empty uplink"},
		{iface, "a-very-long-name0", "longer than 15 bytes"},
		{iface, "..", "not an interface name"},
		{iface, "eth0:1", "contains '/', ':' or white space"},

		{NetworkFile, "10-netplan-eth0.network", ""},
		{NetworkFile, "", "empty .network file name"},
		{NetworkFile, "a/b.network", "without '/'"},
		{NetworkFile, "eth0.conf", "must end in .network"},
		{NetworkFile, ".network", "must end in .network"},
		{NetworkFile, "my eth0.network", "white space or control characters"},

		{host, "node-0", ""},
		{host, "node-0.kubernetes.local", ""},
		{host, "", "missing hostname"},
		{host, "node_0", `character '_' not allowed`},
		{host, "-node", "starts or ends with '-'"},
		{host, "node..local", "empty label"},
		{host, strings.Repeat("a", 64), "label longer than 63"},
		{host, strings.Repeat("a.", 127), "longer than 253"},
	} {
		got := tt.rule(tt.in)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNeedsDevice: only an IPv6 link-local gateway is ambiguous without
// its interface.
func TestNeedsDevice(t *testing.T) {
	for s, want := range map[string]bool{"fe80::1": true, "fd00::1": false, "10.0.0.1": false} {
		a, _ := Addr("gateway", s)
		if got := NeedsDevice(a); got != want {
			t.Errorf("NeedsDevice(%s) = %t, want %t", s, got, want)
		}
	}
}

// TestSameHostname: host names compare without the case of ASCII letters
// only; Unicode's folding (KELVIN SIGN to 'k', LONG S to 's') is not theirs.
func TestSameHostname(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"node-0", "node-0", true},
		{"Node-0.K.Local", "node-0.k.local", true},
		{"node-k", "node-\u212a", false}, // KELVIN SIGN
		{"node-s", "node-\u017f", false}, // LONG S
		{"node-0", "node-00", false},
		{"", "", true},
	} {
		if got := SameHostname(tt.a, tt.b); got != tt.want {
			t.Errorf("SameHostname(%q, %q) = %t, want %t", tt.a, tt.b, got, tt.want)
		}
		if got := HostnameKey(tt.a) == HostnameKey(tt.b); got != tt.want {
			t.Errorf("HostnameKey(%q) == HostnameKey(%q): %t, want %t", tt.a, tt.b, got, tt.want)
		}
	}
}
