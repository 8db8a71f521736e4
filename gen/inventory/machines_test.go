package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// problemCase is an inventory with one problem: the line it must be reported
// on and a substring of its message.
type problemCase struct {
	name string
	in   string
	line int
	msg  string
}

// checkProblems parses each case in format and checks that the problem is
// reported, with the file name, at its line.
func checkProblems(t *testing.T, format Format, cases []problemCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := Parse("inv", []byte(c.in), format)
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Parse = %+v, %v; want a *diag.Error", inv.Hosts, err)
			}
			for _, p := range de.Problems {
				if p.File == "inv" && p.Line == c.line && strings.Contains(p.Msg, c.msg) {
					return
				}
			}
			t.Errorf("want problem at line %d containing %q; got:\n%v", c.line, c.msg, err)
		})
	}
}

const (
	server = "10.240.0.10 server.kubernetes.local server\n"
	node0  = "10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24\n"
)

var machinesCases = []problemCase{
	{"missing fields", server + "10.240.0.20 node-0\n", 2, "missing fields: want IP FQDN HOSTNAME [POD_SUBNET], got 2 fields"},
	{"one field", "10.240.0.20\n", 1, "got 1 field"},
	{"too many fields", "10.240.0.20 n.local n 10.200.0.0/24 extra\n", 1, "too many fields: want at most 4, got 5"},
	{"malformed address", server + "10.240.0.300 n.local n\n", 2, `address "10.240.0.300" is not an IP address`},
	{"address with length", "10.240.0.20/24 n.local n\n", 1, `address "10.240.0.20/24" is a prefix; want one address`},
	{"empty list item", "10.240.0.20, n.local n\n", 1, `address "" is not an IP address`},
	{"malformed prefix", "10.240.0.20 n.local n 10.200.0.0/33\n", 1, `subnet "10.200.0.0/33" is not a prefix like 10.200.1.0/24`},
	{"prefix without length", "10.240.0.20 n.local n 10.200.0.0\n", 1, `subnet "10.200.0.0" has no prefix length; did you mean 10.200.0.0/32?`},
	{"host bits", "# c\n" + node0 + "10.240.0.21 n.local n 10.200.1.1/24\n", 3, "10.200.1.1/24 has host bits set; did you mean 10.200.1.0/24?"},
	{"default route", "10.240.0.20 n.local n 0.0.0.0/0\n", 1, "subnet 0.0.0.0/0 is a default route"},
	{"default route v6", "fd00::20 n.local n ::/0\n", 1, "subnet ::/0 is a default route"},
	{"link-local subnet v6", "fd00::20 n.local n fe80::/64\n", 1, "subnet fe80::/64 overlaps the link-local range fe80::/10"},
	{"zone", "fe80::1%eth0 n.local n\n", 1, `address fe80::1%eth0 has a zone`},
	{"mapped", "::ffff:10.240.0.20 n.local n\n", 1, `address ::ffff:10.240.0.20 is an IPv4-mapped IPv6 address; write 10.240.0.20`},
	{"mapped prefix", "10.240.0.20 n.local n ::ffff:10.200.0.0/120\n", 1, "is an IPv4-mapped IPv6 prefix; write 10.200.0.0/24"},
	{"loopback", "127.0.0.1 n.local n\n", 1, `address 127.0.0.1 is not a unicast address`},
	{"link-local IPv6 node", "10.240.0.20,fe80::20 a.local a 10.200.0.0/24,fd00:200::/64\n10.240.0.21,fd00::21 b.local b\n", 1,
		`address fe80::20 is link-local: the routes to "a"'s IPv6 subnets need a device, and "b" (line 2) has no uplink`},
	{"two IPv4 addresses", "10.240.0.20,10.240.0.21 n.local n\n", 1, "two IPv4 addresses, 10.240.0.20 and 10.240.0.21"},
	{"two IPv6 addresses", "fd00::1,fd00::2 n.local n\n", 1, "two IPv6 addresses"},
	{"two IPv4 pod subnets", "10.240.0.20 n.local n 10.200.0.0/24,10.200.1.0/24\n", 1, "two IPv4 pod subnets"},
	{"hostname", "10.240.0.20 n.local node_0\n", 1, `malformed hostname "node_0"`},
	{"hostname dash", "10.240.0.20 n.local node-\n", 1, `malformed hostname "node-"`},
	{"long hostname", "10.240.0.20 n.local " + strings.Repeat("a", 64) + "\n", 1, "label longer than 63"},
	{"fqdn", "10.240.0.20 n..local n\n", 1, `malformed fqdn "n..local": empty label`},
	{"duplicate hostname", "# lab\n" + node0 + "10.240.0.21 x.local NODE-0 10.200.1.0/24\n", 3, `duplicate hostname "NODE-0" (first defined on line 2)`},
	{"duplicate address", server + "\n10.240.0.10 x.local x\n", 3, `duplicate address 10.240.0.10 (also "server" on line 1)`},
	{"duplicate subnet", node0 + "10.240.0.21 x.local x 10.200.0.0/24\n", 2, `duplicate subnet 10.200.0.0/24 (also "node-0" on line 1)`},
	{"overlapping subnets", node0 + "10.240.0.21 x.local x 10.200.0.0/16\n", 2, `subnet 10.200.0.0/16 overlaps 10.200.0.0/24 of "node-0" (line 1)`},
	{"overlapping subnets v6", "fd00::20 a.local a fd00:10:200::/56\nfd00::21 b.local b fd00:10:200:1::/64\n", 2, `subnet fd00:10:200:1::/64 overlaps fd00:10:200::/56 of "a" (line 1)`},
	{"own address in subnet", "10.240.0.20 n.local n 10.240.0.0/24\n", 1, "subnet 10.240.0.0/24 contains the host's own address 10.240.0.20"},
	{"other address in subnet", server + "10.240.0.20 n.local n 10.240.0.0/16\n", 2, `subnet 10.240.0.0/16 contains the address 10.240.0.10 of "server" (line 1)`},
	{"IPv6 subnet without IPv6 address", "10.240.0.20 n.local n fd00:10:200::/64\n", 1, "IPv6 subnet fd00:10:200::/64 on a host without an IPv6 address"},
	{"IPv4 subnet without IPv4 address", "fd00::20 n.local n 10.200.0.0/24\n", 1, "IPv4 subnet 10.200.0.0/24 on a host without an IPv4 address"},
	{"no machines", "# nothing here\n\n", 0, "no machines"},
	{"empty", "", 0, "no machines"},
	{"binary", server + "\x00\x01\x02", 2, "binary input: NUL byte"},
	{"not UTF-8", server + server + "10.240.0.30 caf\xe9 x\n", 3, "invalid UTF-8"},
}

func TestMachinesProblems(t *testing.T) { checkProblems(t, FormatMachines, machinesCases) }

// TestAllProblems checks that every problem is reported, not only the first.
func TestAllProblems(t *testing.T) {
	in := "10.240.0.300 a.local a\n10.240.0.20 b.local b 10.200.0.1/24\n10.240.0.21 c.local b\n1 2\n"
	_, err := Parse("machines.txt", []byte(in), FormatAuto)
	want := `machines.txt:1: address "10.240.0.300" is not an IP address
machines.txt:2: subnet 10.200.0.1/24 has host bits set; did you mean 10.200.0.0/24?
machines.txt:3: duplicate hostname "b" (first defined on line 2)
machines.txt:4: missing fields: want IP FQDN HOSTNAME [POD_SUBNET], got 2 fields`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}
