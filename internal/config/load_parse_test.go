package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// problem is one expected diagnostic: its line and a substring of its message.
type problem struct {
	line int
	msg  string
}

var parseErrorTests = []struct {
	name string
	in   string
	want []problem
}{
	{"empty", "", []problem{{1, "empty file"}}},
	{"blank", " \n\t\n", []problem{{1, "empty file"}}},
	{"only comments", "# nothing\n", []problem{{1, "only comments"}}},
	{"binary", "node: a\x00b\n", []problem{{1, "binary input: NUL byte"}}},
	{"latin1", "# ok\nnode: caf\xe9\n", []problem{{2, "invalid UTF-8"}}},
	{"syntax", "node: a\nroutes:\n  - destination: [\n", []problem{{3, "malformed YAML: did not find expected node content"}}},
	{"unclosed bracket", "node: a\nroutes:\n  - destination: [10.200.1.0/24\n    gateway: 10.240.0.1\n", []problem{{3, "malformed YAML: did not find expected ',' or ']'"}}},
	{"bad indent", "node: a\nroutes:\n  - destination: 10.200.1.0/24\n   gateway: 10.240.0.1\n", []problem{{4, "malformed YAML: did not find expected '-' indicator"}}},
	{"unterminated string", "node: a\nroutes:\n  - destination: \"10.200.1.0/24\n    gateway: 10.240.0.1\n", []problem{{3, "malformed YAML: found unexpected end of stream"}}},
	{"tab indent", "node: a\nroutes:\n\t- x\n", []problem{{3, "malformed YAML"}}},
	{"two documents", "node: a\n---\nnode: b\n", []problem{{2, "second YAML document"}}},
	{"not a mapping", "- a\n- b\n", []problem{{1, "routes.yaml: want a mapping, got a list"}}},
	{"scalar document", "hello\n", []problem{{1, `got string "hello"`}}},
	{"missing node", "metric: 5\n", []problem{{1, "missing node"}}},
	{"null node", "node:\n", []problem{{1, "node: want a host name, got nothing"}}},
	{"empty node", "node: ''\n", []problem{{1, "missing node"}}},
	{"node not a name", "node: node_0\n", []problem{{1, `malformed node "node_0"`}}},
	{"node list", "node: [a]\n", []problem{{1, `node: want a host name, got a list`}}},
	{"unknown key", "node: a\nmetrik: 5\n", []problem{{2, `unknown key "metrik"`}}},
	{"duplicate key", "node: a\nmetric: 5\nmetric: 6\n", []problem{{3, `duplicate key "metric" (first on line 2)`}}},
	{"non-string key", "node: a\n1: x\n", []problem{{2, "is not a name"}}},
	{"alias", "node: &n a\ndevice: *n\n", []problem{{2, "aliases are not supported"}}},
	{"metric string", "node: a\nmetric: high\n", []problem{{2, `metric "high": want a decimal integer from 0 to 4294967295`}}},
	{"metric negative", "node: a\nmetric: -1\n", []problem{{2, `metric "-1": want a decimal integer`}}},
	{"metric hexadecimal", "node: a\nmetric: 0x10\n", []problem{{2, `metric "0x10": want a decimal integer`}}},
	{"metric octal", "node: a\nmetric: 0o17\n", []problem{{2, `metric "0o17": want a decimal integer`}}},
	{"metric leading zero", "node: a\nmetric: 010\n", []problem{{2, "metric 010 has a leading zero (YAML reads it as octal); write 10"}}},
	{"metric too big", "node: a\nmetric: 4294967296\n", []problem{{2, "metric 4294967296 is out of range"}}},
	{"force string", "node: a\nforce: yes\n", []problem{{2, `force: want true or false, got string "yes"`}}},
	{"device slash", "node: a\ndevice: eth/0\n", []problem{{2, `device "eth/0" is not an interface name`}}},
	{"device long", "node: a\ndevice: abcdefghijklmnop\n", []problem{{2, "longer than 15 bytes"}}},
	{"routes mapping", "node: a\nroutes:\n  x: y\n", []problem{{3, "routes: want a list of routes, got a mapping"}}},
	{"route scalar", "node: a\nroutes:\n  - 10.0.0.0/8\n", []problem{{3, "route: want a mapping"}}},
	{"route unknown key", "node: a\nroutes:\n  - destination: 10.200.0.0/16\n    gateway: 10.240.0.1\n    via: x\n", []problem{{5, `unknown key "via"`}}},
	{"route no destination", "node: a\nroutes:\n  - gateway: 10.240.0.1\n", []problem{{3, "route has no destination"}}},
	{"route no gateway", "node: a\nroutes:\n  - destination: 10.0.0.0/8\n", []problem{{3, "route has no gateway"}}},
	{"destination garbage", oneRoute("10.200.1/24", "10.240.0.1"), []problem{{4, `destination "10.200.1/24" is not a prefix`}}},
	{"destination no bits", oneRoute("10.200.1.0", "10.240.0.1"), []problem{{4, "did you mean 10.200.1.0/32?"}}},
	{"destination list", oneRoute("[10.0.0.0/8]", "10.240.0.1"), []problem{{4, "destination: want a prefix like 10.200.1.0/24, got a list"}}},
	{"host bits", oneRoute("10.200.1.1/24", "10.240.0.1"), []problem{{4, "host bits set; did you mean 10.200.1.0/24?"}}},
	{"host bits v6", oneRoute("fd00::1/64", "fd01::1"), []problem{{4, "did you mean fd00::/64?"}}},
	{"default v4", oneRoute("0.0.0.0/0", "10.240.0.1"), []problem{{4, "a default route is never podroutes'"}}},
	{"default v6", oneRoute("::/0", "fd01::1"), []problem{{4, "a default route is never podroutes'"}}},
	{"zoned destination", oneRoute("fe80::%eth0/64", "fd01::1"), []problem{{4, "has a zone"}}},
	{"mapped destination", oneRoute("::ffff:10.200.1.0/120", "10.240.0.1"), []problem{{4, "IPv4-mapped IPv6 prefix; write 10.200.1.0/24"}}},
	{"gateway garbage", oneRoute("10.200.1.0/24", "node-1"), []problem{{5, `gateway "node-1" is not an IP address`}}},
	{"gateway prefix", oneRoute("10.200.1.0/24", "10.240.0.1/24"), []problem{{5, "is a prefix; want one address"}}},
	{"gateway number", oneRoute("10.200.1.0/24", "1.5"), []problem{{5, `gateway "1.5" is not an IP address`}}},
	{"zoned gateway", oneRoute("fd00::/64", "fe80::1%eth0"), []problem{{5, "has a zone"}}},
	{"mapped gateway", oneRoute("10.200.1.0/24", "::ffff:10.240.0.1"), []problem{{5, "IPv4-mapped IPv6 address; write 10.240.0.1"}}},
	{"gateway unspecified", oneRoute("10.200.1.0/24", "0.0.0.0"), []problem{{5, "not a unicast address"}}},
	{"gateway multicast", oneRoute("fd00::/64", "ff02::1"), []problem{{5, "not a unicast address"}}},
	{"family", oneRoute("10.200.1.0/24", "fd00::1"), []problem{{5, "gateway fd00::1 is IPv6 but destination 10.200.1.0/24 is IPv4"}}},
	{"link-local without device", oneRoute("fd00::/64", "fe80::1"), []problem{{5, "link-local: it needs device"}}},
	{"gateway inside own destination", oneRoute("10.200.1.0/24", "10.200.1.7"), []problem{{5, "gateway 10.200.1.7 is inside destination 10.200.1.0/24 (line 4)"}}},
	{"gateway inside other destination", "node: a\nroutes:\n  - destination: 10.200.0.0/16\n    gateway: 10.240.0.1\n  - destination: 10.201.0.0/24\n    gateway: 10.200.3.4\n",
		[]problem{{6, "inside destination 10.200.0.0/16 (line 3)"}}},
	{"duplicate", "node: a\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.1\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.1\n",
		[]problem{{5, "duplicate route to 10.200.1.0/24, first on line 3"}}},
	{"contradiction", "node: a\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.1\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.2\n",
		[]problem{{5, "via 10.240.0.2 contradicts line 3 (via 10.240.0.1)"}}},
	{"onlink without device", "node: a\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.1\n    onlink: true\n",
		[]problem{{5, "onlink needs device"}}},
	{"onlink string", "node: a\ndevice: eth0\nroutes:\n  - destination: 10.200.1.0/24\n    gateway: 10.240.0.1\n    onlink: 1\n",
		[]problem{{6, "onlink: want true or false"}}},
	{"all at once", "metric: 0x\nroutes:\n  - destination: 10.200.1.1/24\n    gateway: x\n  - {}\n",
		[]problem{{1, `metric "0x"`}, {1, "missing node"}, {3, "host bits"}, {4, "not an IP address"}, {5, "no destination"}, {5, "no gateway"}}},
}

// oneRoute is a config with one route.
func oneRoute(dst, gw string) string {
	return "node: a\nroutes:\n  -\n    destination: " + dst + "\n    gateway: " + gw + "\n"
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("routes.yaml", []byte(tt.in))
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Parse = %+v, %v; want a *diag.Error", c, err)
			}
			if len(de.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(de.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				got := de.Problems[i]
				if got.File != "routes.yaml" || got.Line != w.line || !strings.Contains(got.Msg, w.msg) {
					t.Errorf("problem %d = %s; want routes.yaml:%d: ...%s...", i, got, w.line, w.msg)
				}
			}
		})
	}
}

// BenchmarkParse20000 loads a 20000-route routes.yaml as gen writes it: the
// fast path's cost, which bounds apply's start-up on a large cluster.
func BenchmarkParse20000(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("# generated\nnode: node-0\nmetric: 100\nroutes:\n")
	for i := range 20000 {
		fmt.Fprintf(&buf, "  - destination: 10.%d.%d.0/24\n    gateway: 10.240.%d.%d\n    peer: node-%d\n", 100+i>>8, i&255, i>>8, 1+i&127, i)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("routes.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
