package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/infile"
	"github.com/podroutes/podroutes/internal/yamlnode"
)

// Parse parses routes.yaml from data; name is the file name diagnostics carry.
// It is strict: unknown or duplicate keys, values of the wrong type and routes
// that are malformed or contradict each other are all problems. It reports
// every problem it finds, each with its line, in one *diag.Error.
//
// The Config returned has the effective Metric (route.DefaultMetric when
// the file sets none or 0) and its Routes sorted by destination, each with
// its Line.
func Parse(name string, data []byte) (Config, error) {
	if c, ok := parseFast(name, data); ok {
		return c, nil
	}
	return parseStrict(name, data)
}

// parseStrict is Parse without the fast path: yaml.v3's node tree, every
// problem named.
func parseStrict(name string, data []byte) (Config, error) {
	p := &parser{w: yamlnode.Walker{L: &diag.List{File: name}}}
	var c Config
	if root := p.document(data); root != nil {
		c = p.config(root)
	}
	if err := p.w.L.Err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

type parser struct {
	w yamlnode.Walker
}

// document returns the root node of the file's one YAML document, or nil
// after reporting why there is none.
func (p *parser) document(data []byte) *yaml.Node {
	text, ok := infile.Text(p.w.L, data)
	switch {
	case !ok:
		return nil
	case strings.TrimSpace(text) == "":
		p.w.L.Addf(1, "empty file; want at least `node: NAME`")
		return nil
	}
	root, ok := p.w.Decode(text)
	if ok && root == nil {
		p.w.Addf(1, "no YAML content, only comments; want at least `node: NAME`")
	}
	return root
}
