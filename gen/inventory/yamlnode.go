package inventory

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

// yamlWalker reads yaml.v3 nodes, reporting every problem at its node's line.
type yamlWalker struct{ l *diag.List }

// decodeYAML decodes the single document of text; ok is false (and the
// problem reported) if it is malformed. An empty document yields nil.
func (w yamlWalker) decode(text string) (root *yaml.Node, ok bool) {
	defer func() { // yaml.v3 is not our code: never let it crash podroutes
		if r := recover(); r != nil {
			w.l.Addf(0, "malformed YAML: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(text))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		w.yamlError(text, err)
		return nil, false
	}
	if err := dec.Decode(&extra); err == nil {
		w.l.Addf(extra.Line, "more than one YAML document")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		w.yamlError(text, err)
		return nil, false
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		return nil, true // an empty document
	}
	return doc.Content[0], true
}

// lineBreaks refuses the line breaks YAML knows besides \n and \r\n (a lone
// \r, NEL, LS and PS), which would make its line numbers differ from ours.
func (w yamlWalker) lineBreaks(text string) bool {
	for i, r := range text {
		if r == '\r' && !strings.HasPrefix(text[i:], "\r\n") || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			w.l.Addf(lineAt(text, i), "line break %U not allowed in YAML: end lines with \\n or \\r\\n", r)
			return false
		}
	}
	return true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (w yamlWalker) yamlError(text string, err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 counts the lines of parser (not scanner) errors from 0.
		for _, p := range []string{"did not find expected", "found incompatible", "found undefined", "found duplicate %"} {
			if strings.HasPrefix(msg, p) {
				line++
				break
			}
		}
		line = min(line, strings.Count(text, "\n")+1)
	}
	w.l.Addf(line, "malformed YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 10; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// mapping calls fn for each key of mapping node m in known, and reports
// unknown and duplicate keys. what names m in messages.
func (w yamlWalker) mapping(m *yaml.Node, what string, known []string, fn func(key string, v *yaml.Node)) bool {
	if m = resolve(m); m.Kind != yaml.MappingNode {
		w.l.Addf(m.Line, "%s: want a mapping, got %s", what, kindName(m))
		return false
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), m.Content[i+1]
		switch first, dup := seen[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			w.l.Addf(k.Line, "%s: want a string key, got %s", what, kindName(k))
		case dup:
			w.l.Addf(k.Line, "duplicate key %q (first on line %d)", k.Value, first)
		case !slices.Contains(known, k.Value):
			w.l.Addf(k.Line, "unknown key %q in %s%s", k.Value, what, suggest(k.Value, known))
		default:
			seen[k.Value] = k.Line
			fn(k.Value, v)
		}
	}
	return true
}

// suggest returns a hint naming the known key s was probably meant to be.
func suggest(s string, known []string) string {
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	for _, k := range known {
		if norm(k) == norm(s) {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

// str returns the string value of scalar n; ok is false if n is null or
// not a scalar (reported).
func (w yamlWalker) str(n *yaml.Node, key string) (string, bool) {
	switch n = resolve(n); {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return "", false
	case n.Kind == yaml.ScalarNode:
		return n.Value, true
	}
	w.l.Addf(n.Line, "%s: want a string, got %s", key, kindName(n))
	return "", false
}

// list returns the items of a list of strings, or of a single string.
func (w yamlWalker) list(n *yaml.Node, key string) []field {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		if s, ok := w.str(n, key); ok {
			return []field{{s, n.Line}}
		}
		return nil
	}
	var fs []field
	for _, item := range n.Content {
		if s, ok := w.str(item, key); ok {
			fs = append(fs, field{s, resolve(item).Line})
		} else if resolve(item).Kind == yaml.ScalarNode {
			w.l.Addf(item.Line, "%s: empty item", key)
		}
	}
	return fs
}

// metric returns the uint32 > 0 in n; ok is false if n is null or invalid
// (reported).
func (w yamlWalker) metric(n *yaml.Node) (uint32, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if m, err := strconv.ParseUint(n.Value, 10, 32); err == nil && m > 0 {
			return uint32(m), true
		}
	}
	w.l.Addf(n.Line, "metric: want an integer from 1 to 4294967295, got %s", kindName(n))
	return 0, false
}
