package yamlnode

import (
	"strconv"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// TestSyntaxErrorLines: a syntax error is reported at the line of the
// problem: where an unclosed bracket or quote opens, where the indentation
// goes wrong, where a tab is.
func TestSyntaxErrorLines(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"unclosed bracket", "node: node-0\nroutes:\n  - destination: [10.200.1.0/24\n    gateway: 10.240.0.1\n", 3, "did not find expected ',' or ']' (while parsing the flow sequence that opens on this line)"},
		{"unclosed bracket at the end", "node: node-0\nroutes:\n  - destination: [\n", 3, "did not find expected node content"},
		{"unclosed brace", "a: {b: 1\nc: 2\n", 1, "did not find expected ',' or '}' (while parsing the flow mapping that opens on this line)"},
		{"unclosed bracket, an item after", "node: a\nroutes:\n  - destination: [10.200.1.0/24,\n    10.200.2.0/24\n    gateway: 10.240.0.21\n", 3,
			"did not find expected ',' or ']' (while parsing the flow sequence that opens on this line)"},
		{"unclosed bracket on line 1", "[a,\n b\n c: d\n", 1, "did not find expected ',' or ']' (while parsing the flow sequence that opens on this line)"},
		{"unclosed bracket, nested", "a: [1,\n  [2, 3],\n  4\n  b: c\n", 1, "did not find expected ',' or ']' (while parsing the flow sequence that opens on this line)"},
		{"bad indent", "node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n   gateway: 10.240.0.1\n", 4, "did not find expected '-' indicator"},
		{"bad indent, deeper", "node: node-0\nroutes:\n  - destination: 10.200.1.0/24\n      gateway: 10.240.0.1\n", 4, "mapping values are not allowed in this context"},
		{"unterminated string", "node: \"node-0\nroutes: []\n", 1, "found unexpected end of stream"},
		{"unterminated string in a route", "node: a\nroutes:\n  - destination: \"10.200.1.0/24\n    gateway: 10.240.0.1\n", 3, "found unexpected end of stream"},
		{"tab", "node: a\nroutes:\n\t- x\n", 3, "found character that cannot start any token"},
		{"inventory bad indent", "hosts:\n  - name: a\n   addresses: [\n", 3, "did not find expected '-' indicator"},
		{"error after a valid multi-line list", "hosts:\n  - name: a\n    addresses: [10.240.0.20,\n      fd00::20]\n  x: y: z\n", 5, "did not find expected '-' indicator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &Walker{L: &diag.List{File: "f.yaml"}}
			if _, ok := w.Decode(tc.text); ok {
				t.Fatal("decoded a malformed document")
			}
			err := w.L.Err()
			want := "f.yaml:" + strconv.Itoa(tc.line) + ": malformed YAML: " + tc.msg
			if err == nil || err.Error() != want {
				t.Errorf("got %v\nwant %s", err, want)
			}
		})
	}
}

func TestMapping(t *testing.T) {
	w := &Walker{L: &diag.List{File: "f.yaml"}}
	root, ok := w.Decode("name: &u a\npod_subnets: []\nname: b\n1: x\nuplink: *u\n")
	if !ok {
		t.Fatal(w.L.Err())
	}
	fs, ok := w.Mapping(root, "host", "name", "podSubnets", "uplink")
	if !ok || len(fs) != 1 || fs[0].Name != "name" {
		t.Errorf("fields %+v", fs)
	}
	want := `f.yaml:2: unknown key "pod_subnets" in host (did you mean "podSubnets"?); want one of: name, podSubnets, uplink
f.yaml:3: duplicate key "name" (first on line 1)
f.yaml:4: host: key integer "1" is not a name; want one of: name, podSubnets, uplink
f.yaml:5: uplink: aliases are not supported; write the value out`
	if err := w.L.Err(); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// TestDescribe: a node is named by its kind and value, and a long value
// (machines.txt read as YAML is one string) is cut, at a character.
func TestDescribe(t *testing.T) {
	w := &Walker{L: &diag.List{File: "f.yaml"}}
	for text, want := range map[string]string{
		"x":      `string "x"`,
		"12":     `integer "12"`,
		"[a]":    "a list",
		"~":      "nothing",
		"{a: 1}": "a mapping",
		"true":   `boolean "true"`,
		"10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24\n10.240.0.21 node-1.kubernetes.local node-1": `string "10.240.0.20 node-0.kubernetes.local node…"`,
		strings.Repeat("é", 41): `string "` + strings.Repeat("é", 40) + `…"`,
		strings.Repeat("é", 40): `string "` + strings.Repeat("é", 40) + `"`,
	} {
		root, ok := w.Decode(text)
		if !ok {
			t.Fatalf("%q: %v", text, w.L.Err())
		}
		if got := Describe(root); got != want {
			t.Errorf("Describe(%q) = %s, want %s", text, got, want)
		}
	}
}
