package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/diag"
)

// Parse parses routes.yaml from data; name is the file name diagnostics carry.
// It is strict: unknown or duplicate keys, values of the wrong type and routes
// that are malformed or contradict each other are all problems. It reports
// every problem it finds, each with its line, in one *diag.Error.
//
// The Config returned has the effective Metric (route.DefaultMetric when the file
// sets none or 0) and its Routes sorted by destination, each with its Line.
func Parse(name string, data []byte) (Config, error) {
	if c, ok := parseFast(name, data); ok {
		return c, nil
	}
	return parseStrict(name, data)
}

// parseStrict is Parse without the fast path: yaml.v3's node tree, every
// problem named.
func parseStrict(name string, data []byte) (Config, error) {
	p := &parser{diags: diag.List{File: name}, lines: bytes.Count(data, []byte("\n")) + 1}
	var c Config
	if root := p.document(data); root != nil {
		c = p.config(root)
	}
	if err := p.diags.Err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

type parser struct {
	diags diag.List
	lines int // in the file, so that no problem points past its end
}

// addf records a problem at line, kept within the file: a problem with the
// content always names a line (one about the whole content, such as an empty
// file, names line 1), unlike Load's refusals of the file itself.
func (p *parser) addf(line int, format string, args ...any) {
	p.diags.Addf(max(1, min(line, p.lines)), format, args...)
}

// document returns the root node of the file's one YAML document, or nil
// after reporting why there is none.
func (p *parser) document(data []byte) *yaml.Node {
	if len(bytes.TrimSpace(data)) == 0 {
		p.addf(0, "empty file; want at least `node: NAME`")
		return nil
	}
	if line, ok := binaryAt(data); ok {
		p.addf(line, "not a text file (invalid UTF-8 or a NUL byte)")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.addf(0, "no YAML document, only comments; want at least `node: NAME`")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	if err := dec.Decode(&extra); err == nil {
		p.addf(extra.Line, "a second YAML document; routes.yaml holds one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil
	}
	if len(doc.Content) == 0 {
		p.addf(doc.Line, "empty YAML document; want at least `node: NAME`")
		return nil
	}
	return doc.Content[0]
}

// binaryAt finds the line of the first invalid UTF-8 sequence or NUL byte.
func binaryAt(data []byte) (int, bool) {
	line := 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == 0 || (r == utf8.RuneError && n == 1) {
			return line, true
		}
		if r == '\n' {
			line++
		}
		data = data[n:]
	}
	return 0, false
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError reports a syntax error at the line yaml.v3 names, if any.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.addf(line, "invalid YAML: %s", m[2])
		return
	}
	p.addf(0, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// field is one key: value pair of a mapping.
type field struct {
	name     string
	key, val *yaml.Node
}

// fields returns the pairs of mapping m whose keys are known, reporting
// unknown and duplicate keys and values that are aliases. m must be a mapping.
func (p *parser) fields(m *yaml.Node, known ...string) []field {
	var fs []field
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			p.addf(k.Line, "key %s is not a name; want one of: %s", describe(k), strings.Join(known, ", "))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			p.addf(k.Line, "duplicate key %q, first on line %d", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		switch {
		case !slices.Contains(known, k.Value):
			p.addf(k.Line, "unknown key %q; want one of: %s", k.Value, strings.Join(known, ", "))
		case v.Kind == yaml.AliasNode:
			p.addf(v.Line, "%s: aliases are not supported; write the value out", k.Value)
		default:
			fs = append(fs, field{name: k.Value, key: k, val: v})
		}
	}
	return fs
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// scalar returns f's value if it is a scalar with the given tag; otherwise it
// reports that f wants what.
func (p *parser) scalar(f field, tag, what string) (string, bool) {
	if f.val.Kind != yaml.ScalarNode || f.val.ShortTag() != tag {
		hint := ""
		if tag == "!!str" && f.val.Kind == yaml.ScalarNode {
			hint = " (quote it)"
		}
		p.addf(f.val.Line, "%s: want %s, got %s%s", f.name, what, describe(f.val), hint)
		return "", false
	}
	return f.val.Value, true
}

// describe names a node for a message: `integer 12`, `a list`.
func describe(n *yaml.Node) string {
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
		"!!null": "nothing", "!!timestamp": "timestamp", "!!binary": "binary",
	}
	kind, ok := kinds[n.ShortTag()]
	if !ok {
		kind = fmt.Sprintf("tag %s", n.ShortTag())
	}
	if n.ShortTag() == "!!null" {
		return kind
	}
	return fmt.Sprintf("%s %q", kind, n.Value)
}
