package inventory

import (
	"testing"

	"github.com/podroutes/podroutes/internal/config"
)

// yamlHost0 is a valid host on lines 1-4.
const yamlHost0 = "hosts:\n  - name: node-0\n    addresses: [10.240.0.20]\n    podSubnets: [10.200.0.0/24]\n"

var yamlCases = []problemCase{
	{"syntax", "hosts:\n  - name: a\n    addresses: [\n", 3, "malformed YAML: did not find expected node content"},
	{"bad indent", "hosts:\n  - name: a\n   addresses: [\n", 3, "malformed YAML: did not find expected '-' indicator"},
	{"bad key", "hosts: []\ndefaults: {}\n- x\n", 3, "malformed YAML: did not find expected key"},
	{"unknown anchor", "hosts: *h\n", 1, "malformed YAML: unknown anchor 'h' referenced"},
	{"tab indent", "hosts:\n\t- name: a\n", 2, "malformed YAML"},
	{"lone CR", yamlHost0 + "\r  - name: b\n", 5, "line break U+000D not allowed in YAML"},
	{"LS", "hosts:\n  - name: a\u2028\n", 2, "line break U+2028 not allowed in YAML"},
	{"two documents", yamlHost0 + "---\nhosts: []\n", 5, "a second YAML document"},
	{"not a mapping", "- a\n- b\n", 1, "the inventory: want a mapping, got a list"},
	{"unknown top key", yamlHost0 + "host:\n", 5, `unknown key "host" in the inventory`},
	{"unknown host key", yamlHost0 + "    pod_subnets: [10.201.0.0/24]\n", 5, `unknown key "pod_subnets" in host (did you mean "podSubnets"?)`},
	{"singular host key", "hosts:\n  - name: a\n    address: 10.240.0.20\n", 3, `unknown key "address" in host (did you mean "addresses"?)`},
	{"an alias of a host", yamlHost0 + "  - &h1\n    name: node-1\n    addresses: [10.240.0.21]\n  - *h1\n", 8, `duplicate hostname "node-1" (first defined on line 5)`},
	{"unknown defaults key", "defaults:\n  gateway: x\n" + yamlHost0, 2, `unknown key "gateway" in defaults`},
	{"duplicate key", yamlHost0 + "    addresses: [10.240.0.21]\n", 5, `duplicate key "addresses" (first on line 3)`},
	{"duplicate top key", yamlHost0 + "hosts: []\n", 5, `duplicate key "hosts" (first on line 1)`},
	{"hosts not a list", "hosts:\n  name: a\n", 2, "hosts: want a list, got a mapping"},
	{"host not a mapping", "hosts:\n  - node-0\n", 2, `host: want a mapping, got string "node-0"`},
	{"name not a string", "hosts:\n  - name: [a]\n    addresses: 10.240.0.20\n", 2, "name: want a host name, got a list"},
	{"missing name", "hosts:\n  - addresses: [10.240.0.20]\n", 2, "missing hostname"},
	{"addresses mapping", "hosts:\n  - name: a\n    addresses: {ip: 10.240.0.20}\n", 3, "addresses: want a value or a list of values, got a mapping"},
	{"address item mapping", "hosts:\n  - name: a\n    addresses:\n      - 10.240.0.20\n      - {ip: x}\n", 5, "addresses: want a value, got a mapping"},
	{"empty address item", "hosts:\n  - name: a\n    addresses:\n      - 10.240.0.20\n      -\n", 5, "addresses: want a value, got nothing"},
	{"missing addresses", "hosts:\n  - name: a\n    fqdn: a.local\n", 2, `host "a" has no address`},
	{"malformed address line", "hosts:\n  - name: a\n    addresses:\n      - 10.240.0.20\n      - fd00::zz\n", 5, `address "fd00::zz" is not an IP address`},
	{"two IPv4", "hosts:\n  - name: a\n    addresses: [10.240.0.20, 10.240.0.21]\n", 3, "two IPv4 addresses"},
	{"host bits", yamlHost0 + "    extraSubnets: [10.201.0.1/24]\n", 5, "10.201.0.1/24 has host bits set; did you mean 10.201.0.0/24?"},
	{"pod and extra overlap", yamlHost0 + "    extraSubnets: [10.200.0.128/25]\n", 2, "subnets 10.200.0.0/24 and 10.200.0.128/25 overlap"},
	{"IPv6 subnet v4 host", yamlHost0 + "    extraSubnets: [\"fd00::/64\"]\n", 2, "IPv6 subnet fd00::/64 on a host without an IPv6 address"},
	{"metric hexadecimal", "defaults:\n  metric: 0x10\n" + yamlHost0, 2, `metric "0x10": want a decimal integer from 0 to 4294967295`},
	{"metric leading zero", "defaults:\n  metric: 010\n" + yamlHost0, 2, "metric 010 has a leading zero (YAML reads it as octal); write 10"},
	{"metric string", yamlHost0 + "    metric: high\n", 5, `metric "high": want a decimal integer`},
	{"metric too big", yamlHost0 + "    metric: 4294967296\n", 5, "metric 4294967296 is out of range"},
	{"metric negative", yamlHost0 + "    metric: -1\n", 5, `metric "-1": want a decimal integer`},
	{"network file slash", "defaults:\n  networkFile: /run/systemd/network/10-eth0.network\n" + yamlHost0, 2, "must be a file name, without '/'"},
	{"network file suffix", yamlHost0 + "    networkFile: 10-eth0.conf\n", 5, `networkFile "10-eth0.conf" must end in .network`},
	{"uplink", yamlHost0 + "    uplink: averyveryverylongname0\n", 5, "longer than 15 bytes"},
	{"offLink value", "defaults:\n  offLink: ipip\n" + yamlHost0, 2, `offLink "ipip": want none or vxlan`},
	{"offLink per host", yamlHost0 + "    offLink: vxlan\n", 5, `unknown key "offLink" in host`},
	{"defaults not a mapping", "defaults: eth0\n" + yamlHost0, 1, "defaults: want a mapping"},
	{"duplicate hostname", yamlHost0 + "  - name: node-0\n    addresses: [10.240.0.21]\n", 5, `duplicate hostname "node-0" (first defined on line 2)`},
	{"overlap", yamlHost0 + "  - name: node-1\n    addresses: [10.240.0.21]\n    podSubnets: 10.200.0.0/23\n", 5, `subnet 10.200.0.0/23 overlaps 10.200.0.0/24 of "node-0" (line 2)`},
	{"duplicate address", yamlHost0 + "  - name: node-1\n    addresses: 10.240.0.20\n", 5, `duplicate address 10.240.0.20 (also "node-0" on line 2)`},
	{"contains address", yamlHost0 + "  - name: node-1\n    addresses: 10.200.0.5\n", 2, `subnet 10.200.0.0/24 contains the address 10.200.0.5 of "node-1" (line 5)`},
	{"no hosts", "defaults:\n  uplink: eth0\nhosts: []\n", 0, "no machines"},
	{"empty document", "# nothing\n", 0, "no machines"},
}

func TestYAMLProblems(t *testing.T) { checkProblems(t, FormatYAML, yamlCases) }

// TestYAMLOffLink: defaults: offLink is the inventory's, said once for
// every host; none (or nothing) is none.
func TestYAMLOffLink(t *testing.T) {
	for in, want := range map[string]config.OffLink{
		yamlHost0: config.OffLinkNone,
		"defaults:\n  offLink: none\n" + yamlHost0:  config.OffLinkNone,
		"defaults:\n  offLink: vxlan\n" + yamlHost0: config.OffLinkVXLAN,
	} {
		inv, err := Parse("i.yaml", []byte(in), FormatYAML)
		if err != nil || inv.OffLink != want {
			t.Errorf("%q: offLink %q, %v; want %q", in, inv.OffLink, err, want)
		}
	}
}
