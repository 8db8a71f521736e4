package inventory

import "testing"

func TestYAMLProblems(t *testing.T) {
	const h0 = "hosts:\n  - name: node-0\n    addresses: [10.240.0.20]\n    podSubnets: [10.200.0.0/24]\n" // lines 1-4
	checkProblems(t, FormatYAML, []problemCase{
		{"syntax", "hosts:\n  - name: a\n   addresses: [\n", 3, "malformed YAML"},
		{"tab indent", "hosts:\n\t- name: a\n", 2, "malformed YAML"},
		{"two documents", h0 + "---\nhosts: []\n", 6, "more than one YAML document"},
		{"not a mapping", "- a\n- b\n", 1, "the inventory: want a mapping, got a list"},
		{"unknown top key", h0 + "host:\n", 5, `unknown key "host" in the inventory`},
		{"unknown host key", h0 + "    pod_subnets: [10.201.0.0/24]\n", 5, `unknown key "pod_subnets" in host; did you mean "podSubnets"?`},
		{"unknown defaults key", "defaults:\n  gateway: x\n" + h0, 2, `unknown key "gateway" in defaults`},
		{"duplicate key", h0 + "    addresses: [10.240.0.21]\n", 5, `duplicate key "addresses" (first on line 3)`},
		{"duplicate top key", h0 + "hosts: []\n", 5, `duplicate key "hosts" (first on line 1)`},
		{"hosts not a list", "hosts:\n  name: a\n", 2, "hosts: want a list, got a mapping"},
		{"host not a mapping", "hosts:\n  - node-0\n", 2, `host: want a mapping, got "node-0"`},
		{"name not a string", "hosts:\n  - name: [a]\n    addresses: 10.240.0.20\n", 2, "name: want a string, got a list"},
		{"missing name", "hosts:\n  - addresses: [10.240.0.20]\n", 2, "missing hostname"},
		{"addresses mapping", "hosts:\n  - name: a\n    addresses: {ip: 10.240.0.20}\n", 3, "addresses: want a string, got a mapping"},
		{"address item mapping", "hosts:\n  - name: a\n    addresses:\n      - 10.240.0.20\n      - {ip: x}\n", 5, "addresses: want a string, got a mapping"},
		{"empty address item", "hosts:\n  - name: a\n    addresses:\n      - 10.240.0.20\n      -\n", 5, "addresses: empty item"},
		{"missing addresses", "hosts:\n  - name: a\n    fqdn: a.local\n", 2, `host "a" has no address`},
		{"malformed address line", "hosts:\n  - name: a\n    addresses:\n      - 10.240.0.20\n      - fd00::zz\n", 5, `malformed address "fd00::zz"`},
		{"two IPv4", "hosts:\n  - name: a\n    addresses: [10.240.0.20, 10.240.0.21]\n", 3, "two IPv4 addresses"},
		{"host bits", h0 + "    extraSubnets: [10.201.0.1/24]\n", 5, "10.201.0.1/24 has host bits set; did you mean 10.201.0.0/24?"},
		{"pod and extra overlap", h0 + "    extraSubnets: [10.200.0.128/25]\n", 2, "subnets 10.200.0.0/24 and 10.200.0.128/25 overlap"},
		{"IPv6 subnet v4 host", h0 + "    extraSubnets: [\"fd00::/64\"]\n", 2, "IPv6 subnet fd00::/64 on a host without an IPv6 address"},
		{"metric zero", "defaults:\n  metric: 0\n" + h0, 2, "metric: want an integer from 1 to 4294967295, got \"0\""},
		{"metric string", h0 + "    metric: \"100\"\n", 5, "metric: want an integer"},
		{"metric too big", h0 + "    metric: 4294967296\n", 5, "metric: want an integer"},
		{"metric negative", h0 + "    metric: -1\n", 5, "metric: want an integer"},
		{"network file slash", "defaults:\n  networkFile: /run/systemd/network/10-eth0.network\n" + h0, 2, "must be a file name, without '/'"},
		{"network file suffix", h0 + "    networkFile: 10-eth0.conf\n", 5, `networkFile "10-eth0.conf" must end in .network`},
		{"uplink", h0 + "    uplink: averyveryverylongname0\n", 5, "longer than 15 characters"},
		{"defaults not a mapping", "defaults: eth0\n" + h0, 1, "defaults: want a mapping"},
		{"duplicate hostname", h0 + "  - name: node-0\n    addresses: [10.240.0.21]\n", 5, `duplicate hostname "node-0" (first defined on line 2)`},
		{"overlap", h0 + "  - name: node-1\n    addresses: [10.240.0.21]\n    podSubnets: 10.200.0.0/23\n", 5, `subnet 10.200.0.0/23 overlaps 10.200.0.0/24 of "node-0" (line 2)`},
		{"duplicate address", h0 + "  - name: node-1\n    addresses: 10.240.0.20\n", 5, `duplicate address 10.240.0.20 (also "node-0" on line 2)`},
		{"contains address", h0 + "  - name: node-1\n    addresses: 10.200.0.5\n", 2, `subnet 10.200.0.0/24 contains the address 10.200.0.5 of "node-1" (line 5)`},
		{"no hosts", "defaults:\n  uplink: eth0\nhosts: []\n", 0, "no machines"},
		{"empty document", "# nothing\n", 0, "no machines"},
	})
}

func TestKubectlProblems(t *testing.T) {
	node := func(name, addrs, spec string) string {
		return `    {"kind": "Node", "metadata": {"name": "` + name + `"},` + "\n" +
			`     "spec": {` + spec + `}, "status": {"addresses": [` + addrs + `]}}`
	}
	list := func(nodes ...string) string {
		s := "{\"kind\": \"List\", \"items\": [\n"
		for i, n := range nodes {
			if i > 0 {
				s += ",\n"
			}
			s += n
		}
		return s + "\n]}\n"
	}
	ip := func(a string) string { return `{"type": "InternalIP", "address": "` + a + `"}` }
	n0 := node("node-0", ip("10.240.0.20"), `"podCIDR": "10.200.0.0/24"`) // lines 2-3
	checkProblems(t, FormatKubectl, []problemCase{
		{"syntax", "{\"kind\": \"List\",\n \"items\": [\n  {,}]}", 3, "malformed JSON: invalid character ','"},
		{"truncated", list(n0)[:40], 2, "malformed JSON: unexpected end of input"},
		{"trailing data", list(n0) + "{}", 5, "unexpected data after the JSON object"},
		{"not an object", "[1]", 1, "want a JSON object"},
		{"unsupported kind", "\n{\"kind\": \"PodList\", \"items\": []}", 2, `unsupported kind "PodList"`},
		{"missing kind", "{}", 1, "missing kind"},
		{"item not a node", list(n0, `    {"kind": "Pod"}`), 4, `item is a "Pod", not a Node`},
		{"wrong type", list(n0, `    {"kind": "Node", "metadata": {"name": 5}}`), 4, "metadata.name: want string, got JSON number"},
		{"no InternalIP", list(n0, node("node-1", `{"type": "ExternalIP", "address": "1.2.3.4"}`, "")), 4, `node "node-1" has no InternalIP address`},
		{"two IPv4 InternalIPs", list(node("node-0", ip("10.240.0.20")+","+ip("10.240.0.21"), "")), 2, "two IPv4 addresses"},
		{"malformed podCIDR", list(n0, node("node-1", ip("10.240.0.21"), `"podCIDRs": ["10.200.1.0/240"]`)), 4, `malformed prefix "10.200.1.0/240"`},
		{"duplicate name", list(n0, node("node-0", ip("10.240.0.21"), "")), 4, `duplicate hostname "node-0" (first defined on line 2)`},
		{"overlap", list(n0, node("node-1", ip("10.240.0.21"), `"podCIDR": "10.200.0.0/24"`)), 4, `duplicate subnet 10.200.0.0/24 (also "node-0" on line 2)`},
		{"IPv6 podCIDR v4 node", list(node("node-0", ip("10.240.0.20"), `"podCIDRs": ["fd00::/64"]`)), 2, "IPv6 subnet fd00::/64 on a host without an IPv6 address"},
		{"single node no address", `{"kind": "Node", "metadata": {"name": "a"}}`, 1, `node "a" has no InternalIP address`},
		{"empty list", `{"kind": "List", "items": []}`, 0, "no machines"},
		{"binary", "{\"kind\":\n\"\x00\"}", 2, "binary input"},
		{"not UTF-8", "{\"kind\": \"List\",\n\"items\": [\"\xff\"]}", 2, "invalid UTF-8"},
	})
}
