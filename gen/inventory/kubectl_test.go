package inventory

import (
	"strings"
	"testing"
)

// kubeNodeJSON is a Node of two lines, as an item of kubeList.
func kubeNodeJSON(name, addrs, spec string) string {
	return `    {"kind": "Node", "metadata": {"name": "` + name + `"},` + "\n" +
		`     "spec": {` + spec + `}, "status": {"addresses": [` + addrs + `]}}`
}

// kubeList is a List of nodes, the first starting on line 2.
func kubeList(nodes ...string) string {
	return "{\"kind\": \"List\", \"items\": [\n" + strings.Join(nodes, ",\n") + "\n]}\n"
}

func internalIP(a string) string { return `{"type": "InternalIP", "address": "` + a + `"}` }

var (
	kubeNode0 = kubeNodeJSON("node-0", internalIP("10.240.0.20"), `"podCIDR": "10.200.0.0/24"`) // lines 2-3

	kubectlCases = []problemCase{
		{"syntax", "{\"kind\": \"List\",\n \"items\": [\n  {,}]}", 3, "malformed JSON: invalid character ','"},
		{"truncated", kubeList(kubeNode0)[:40], 2, "malformed JSON: unexpected end of JSON input"},
		{"trailing data", kubeList(kubeNode0) + "{}", 5, "unexpected data after the JSON object"},
		{"not an object", "[1]", 1, "want a JSON object (a List of Nodes or a Node), got a list"},
		{"items not a list", "{\"kind\": \"List\",\n \"items\": 5}", 2, "items: want a list, got the number 5"},
		{"items null", "{\"kind\": \"List\", \"items\": null}", 0, "no machines"},
		{"unsupported kind", "\n{\"kind\": \"PodList\", \"items\": []}", 2, `unsupported kind "PodList"`},
		{"missing kind", "{}", 1, "missing kind"},
		{"null item", kubeList(kubeNode0, `    null`), 4, "item is null, not a Node"},
		{"item not a node", kubeList(kubeNode0, `    {"kind": "Pod"}`), 4, `item is a "Pod", not a Node`},
		{"wrong type", kubeList(kubeNode0, `    {"kind": "Node", "metadata": {"name": 5}}`), 4, "metadata.name: want string, got JSON number"},
		{"no InternalIP", kubeList(kubeNode0, kubeNodeJSON("node-1", `{"type": "ExternalIP", "address": "1.2.3.4"}`, "")), 4, `node "node-1" has no InternalIP address`},
		{"two IPv4 InternalIPs", kubeList(kubeNodeJSON("node-0", internalIP("10.240.0.20")+","+internalIP("10.240.0.21"), "")), 2, "two IPv4 addresses"},
		{"malformed podCIDR", kubeList(kubeNode0, kubeNodeJSON("node-1", internalIP("10.240.0.21"), `"podCIDRs": ["10.200.1.0/240"]`)), 4, `subnet "10.200.1.0/240" is not a prefix like 10.200.1.0/24`},
		{"duplicate name", kubeList(kubeNode0, kubeNodeJSON("node-0", internalIP("10.240.0.21"), "")), 4, `duplicate hostname "node-0" (first defined on line 2)`},
		{"overlap", kubeList(kubeNode0, kubeNodeJSON("node-1", internalIP("10.240.0.21"), `"podCIDR": "10.200.0.0/24"`)), 4, `duplicate subnet 10.200.0.0/24 (also "node-0" on line 2)`},
		{"IPv6 podCIDR v4 node", kubeList(kubeNodeJSON("node-0", internalIP("10.240.0.20"), `"podCIDRs": ["fd00::/64"]`)), 2, "IPv6 subnet fd00::/64 on a host without an IPv6 address"},
		{"single node no address", `{"kind": "Node", "metadata": {"name": "a"}}`, 1, `node "a" has no InternalIP address`},
		{"empty list", `{"kind": "List", "items": []}`, 0, "no machines"},
		{"binary", "{\"kind\":\n\"\x00\"}", 2, "binary input"},
		{"not UTF-8", "{\"kind\": \"List\",\n\"items\": [\"\xff\"]}", 2, "invalid UTF-8"},
	}
)

func TestKubectlProblems(t *testing.T) { checkProblems(t, FormatKubectl, kubectlCases) }
