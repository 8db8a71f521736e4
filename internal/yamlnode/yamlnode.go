// Package yamlnode is podroutes' one way of reading YAML (routes.yaml and
// the YAML inventory): yaml.v3's node tree walked with every problem
// reported at its file and line. It decodes exactly one document, places
// syntax errors on the line of the problem (yaml.v3's own numbers are off
// by one for some errors and name the end of the file for others), and
// reads mappings strictly: unknown keys (with a hint for near misses),
// duplicate keys and keys that are not names are all problems.
package yamlnode

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/diag"
)

// Walker reads one file's YAML, recording problems in L.
type Walker struct {
	L *diag.List
	// Aliases lets values be aliases of anchors (the inventory's defaults
	// may be shared so); when false an alias is a problem.
	Aliases bool
	lines   int
}

// Addf records a problem at line, kept within the file: a problem with the
// content always names a line (one about the content as a whole names
// line 1).
func (w *Walker) Addf(line int, format string, args ...any) {
	w.L.Addf(max(1, min(line, w.lines)), format, args...)
}

// Decode decodes the one YAML document of text. It returns the document's
// root node, or nil for a document with no content (empty, or only
// comments), and ok; ok is false, with the problems reported, when text is
// not one well-formed YAML document.
func (w *Walker) Decode(text string) (root *yaml.Node, ok bool) {
	w.lines = strings.Count(text, "\n") + 1
	if !w.lineBreaks(text) {
		return nil, false
	}
	defer func() { // yaml.v3 is not our code: never let it crash podroutes
		if r := recover(); r != nil {
			w.Addf(1, "malformed YAML: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(text))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		w.syntaxError(text, err)
		return nil, false
	}
	if err := dec.Decode(&extra); err == nil {
		w.Addf(extra.Line, "a second YAML document; the file holds one")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		w.syntaxError(text, err)
		return nil, false
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" && doc.Content[0].Value == "" {
		return nil, true
	}
	return doc.Content[0], true
}

// lineBreaks refuses the line breaks YAML knows besides \n and \r\n (a lone
// \r, NEL, LS and PS), which would make its line numbers differ from ours.
func (w *Walker) lineBreaks(text string) bool {
	for i, r := range text {
		if r == '\r' && !strings.HasPrefix(text[i:], "\r\n") || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			w.Addf(1+strings.Count(text[:i], "\n"), "line break %U not allowed in YAML: end lines with \\n or \\r\\n", r)
			return false
		}
	}
	return true
}

var yamlMessage = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError reports err, a yaml.v3 syntax error, at the line of the
// problem: the first line L such that the text up to L fails with the
// same message, i.e. where the unclosed bracket or quote opens, or where
// the indentation goes wrong. yaml.v3's own line (context or problem
// mark, sometimes 0-based, sometimes the end of the file) is the fallback.
func (w *Walker) syntaxError(text string, err error) {
	msg, line := message(err)
	if kind, ok := flowEnds[msg]; ok {
		if l := flowOpens(text, msg); l > 0 {
			w.Addf(l, "malformed YAML: %s (while parsing the flow %s that opens on this line)", msg, kind)
			return
		}
	}
	if l := firstFailing(text, msg); l > 0 {
		line = l
	}
	w.Addf(line, "malformed YAML: %s", msg)
}

// flowEnds are the errors of a flow collection left open, and its kind.
var flowEnds = map[string]string{
	"did not find expected ',' or ']'": "sequence",
	"did not find expected ',' or '}'": "mapping",
}

// flowOpens is the line of the '[' or '{' a flow collection's error msg is
// about, or 0. The first failing line (firstFailing) is where the
// collection goes wrong, a line or many after its bracket, which is what
// yaml.v3 names (its context mark, counted from 0), unless the bracket is
// on line 0: then it names the problem's line. After one more line at the
// top, the bracket is never on line 0, and its line there, counted from 0,
// is its line here.
func flowOpens(text, msg string) int {
	err := decodeErr("\n" + text)
	if err == nil {
		return 0
	}
	m := yamlMessage.FindStringSubmatch(err.Error())
	if m == nil || m[2] != msg {
		return 0
	}
	line, _ := strconv.Atoi(m[1])
	return line
}

// decodeErr is the error of decoding text's first document; a panic of
// yaml.v3's is one too.
func decodeErr(text string) (err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("panic")
		}
	}()
	var doc yaml.Node
	return yaml.NewDecoder(strings.NewReader(text)).Decode(&doc)
}

// message splits a yaml.v3 error into its message and its line, corrected
// to count from 1 (yaml.v3 counts the lines of parser errors from 0).
func message(err error) (string, int) {
	m := yamlMessage.FindStringSubmatch(err.Error())
	if m == nil {
		return err.Error(), 1
	}
	line, _ := strconv.Atoi(m[1])
	for _, p := range []string{"did not find expected", "found incompatible", "found undefined", "found duplicate %"} {
		if strings.HasPrefix(m[2], p) {
			line++
			break
		}
	}
	return m[2], line
}

// firstFailing finds, by bisection, the first line L such that the text
// up to and including L fails to decode with msg; 0 if the answer is not
// consistent (a valid multi-line value earlier in the file can make a
// prefix fail differently: those prefixes count as good).
func firstFailing(text, msg string) int {
	ends := lineEnds(text)
	fails := func(n int) bool { // the first n lines
		err := decodeErr(text[:ends[n-1]])
		if err == nil || errors.Is(err, io.EOF) {
			return false
		}
		m, _ := message(err)
		return m == msg
	}
	n := len(ends)
	if n == 0 || !fails(n) {
		return 0
	}
	lo, hi := 1, n // fails(hi); find the smallest such
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo > 1 && fails(lo-1) {
		return 0
	}
	return lo
}

// lineEnds are the offsets just past each line of text.
func lineEnds(text string) []int {
	var ends []int
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(text) > 0 && text[len(text)-1] != '\n' {
		ends = append(ends, len(text))
	}
	return ends
}

// Resolve follows an alias to the node it names, when aliases are allowed.
func (w *Walker) Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; w.Aliases && n.Kind == yaml.AliasNode && n.Alias != nil && i < 10; i++ {
		n = n.Alias
	}
	return n
}

// Field is one key: value pair of a mapping.
type Field struct {
	Name     string
	Key, Val *yaml.Node
}

// Mapping returns the pairs of mapping m whose keys are known, in order,
// and reports unknown keys (with a hint for a near miss: pod_subnets for
// podSubnets), duplicate keys, keys that are not names and, unless
// allowed, values that are aliases. what names m in messages ("host").
// ok is false, reported, if m is not a mapping.
func (w *Walker) Mapping(m *yaml.Node, what string, known ...string) (fs []Field, ok bool) {
	if m = w.Resolve(m); m.Kind != yaml.MappingNode {
		w.Addf(m.Line, "%s: want a mapping, got %s", what, Describe(m))
		return nil, false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" && k.ShortTag() != "!!null" {
			w.Addf(k.Line, "%s: key %s is not a name; want one of: %s", what, Describe(k), strings.Join(known, ", "))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			w.Addf(k.Line, "duplicate key %q (first on line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		switch {
		case !slices.Contains(known, k.Value):
			w.Addf(k.Line, "unknown key %q in %s%s; want one of: %s", k.Value, what, suggest(k.Value, known), strings.Join(known, ", "))
		case v.Kind == yaml.AliasNode && !w.Aliases:
			w.Addf(v.Line, "%s: aliases are not supported; write the value out", k.Value)
		default:
			fs = append(fs, Field{Name: k.Value, Key: k, Val: w.Resolve(v)})
		}
	}
	return fs, true
}

// suggest returns a hint naming the known key s was probably meant to be:
// the same but for case, '_' and '-', or for a plural's ending either way
// (address for addresses, the first key a host is written with by hand;
// gateways for gateway).
func suggest(s string, known []string) string {
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	plural := func(a, b string) bool { return a == b+"s" || a == b+"es" }
	for _, k := range known {
		if n, nk := norm(s), norm(k); n != "" && (nk == n || plural(nk, n) || plural(n, nk)) {
			return fmt.Sprintf(" (did you mean %q?)", k)
		}
	}
	return ""
}

// IsNull reports whether n is YAML's null (`key:` with nothing, `~`, null).
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Text returns the text of scalar n, whatever YAML would read it as: a
// host named `yes` or `0x10` is a name, not a boolean or a number; the
// value's own rule (package valid) then judges it. ok is false, reported
// as "key: want WANT, got ...", if n is null or not a scalar.
func (w *Walker) Text(n *yaml.Node, key, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		w.Addf(n.Line, "%s: want %s, got %s", key, want, Describe(n))
		return "", false
	}
	return n.Value, true
}

// Bool returns the boolean n holds; ok is false, reported, if n is not
// true or false.
func (w *Walker) Bool(n *yaml.Node, key string) (value, ok bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		w.Addf(n.Line, "%s: want true or false, got %s", key, Describe(n))
		return false, false
	}
	_ = n.Decode(&value) // cannot fail: the tag is !!bool
	return value, true
}

// Describe names a node for a message: `string "x"`, `integer "12"`,
// `a list`, `nothing`. A long value is cut at describeMax characters
// ("…" marks the cut): a file of the wrong kind, say machines.txt given as
// routes.yaml, is one plain scalar as long as the file.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	kinds := map[string]string{
		"!!str": "string", "!!int": "integer", "!!bool": "boolean", "!!float": "number",
		"!!timestamp": "timestamp", "!!binary": "binary",
	}
	if IsNull(n) {
		return "nothing"
	}
	kind, ok := kinds[n.ShortTag()]
	if !ok {
		kind = "tag " + n.ShortTag()
	}
	value := n.Value
	if r := []rune(value); len(r) > describeMax {
		value = string(r[:describeMax]) + "…"
	}
	return fmt.Sprintf("%s %q", kind, value)
}

// describeMax is how much of a value Describe quotes.
const describeMax = 40
