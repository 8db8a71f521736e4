package config

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/route"
	"github.com/podroutes/podroutes/internal/valid"
	"github.com/podroutes/podroutes/internal/yamlnode"
)

// parseFast reads routes.yaml in the plain shape `podroutes gen` writes (and
// hand edits that keep it): full-line comments, blank lines, the top-level
// keys one a line, and routes as
//
//	routes:
//	  - destination: 10.200.1.0/24
//	    gateway: 10.240.0.21
//	    peer: node-1
//	    onlink: true
//
// with plain values that YAML reads as strings, integers or booleans exactly
// as written, and names either plain or in simple double quotes (as Write
// writes a name YAML would not read as a string). It decodes 20000 routes
// in about a tenth of the time and memory the strict parser takes to build
// yaml.v3's node tree (BenchmarkParse20000, 13-17 ms and 6 MB, against
// 175 ms and 56 MB for the strict parser, measured on 2026-12-01). It
// reports ok false for anything else, including any problem at all: Parse
// then reads the file again with the strict parser, which names every
// problem, so the two can never disagree on a message. FuzzFastAgrees holds
// them to the same Config, both ways.
func parseFast(name string, data []byte) (Config, bool) {
	if !printableASCII(data) {
		return Config{}, false
	}
	p := &parser{w: yamlnode.Walker{L: &diag.List{File: name}}}
	f := fastReader{p: p, c: Config{Metric: route.DefaultMetric}, seen: map[string]bool{}}
	f.drafts = newDrafts(bytes.Count(data, []byte("\n  - ")) + 1)
	// One string for the file, not one a line (a third of the time); the
	// names kept (node, device, peers) are cloned, so that the Config
	// does not keep the file alive.
	for line, rest := 1, string(data); len(rest) > 0; line++ {
		text, after, _ := strings.Cut(rest, "\n")
		rest = after
		if !f.line(line, text) {
			return Config{}, false
		}
	}
	if !f.seen["node"] || !f.endRoute() {
		return Config{}, false
	}
	p.crossCheck(f.drafts, f.c.Device)
	if len(p.w.L.Problems) > 0 {
		return Config{}, false
	}
	return f.c.withRoutes(f.drafts), true
}

// fastReader is parseFast's state between lines.
type fastReader struct {
	p        *parser
	c        Config
	seen     map[string]bool // top-level keys
	inRoutes bool            // after `routes:`
	drafts   drafts
	cur      *draft // the route being read
	curKeys  [4]bool
}

func (f *fastReader) line(n int, text string) bool {
	trimmed := strings.TrimLeft(text, " ")
	if trimmed == "" || trimmed[0] == '#' {
		return true
	}
	switch {
	case strings.HasPrefix(text, "  - "):
		if !f.inRoutes || !f.endRoute() {
			return false
		}
		d := f.drafts.add(n)
		f.cur, f.curKeys = &d, [4]bool{}
		return f.routeKey(n, text[4:], true)
	case strings.HasPrefix(text, "    "):
		return f.cur != nil && f.routeKey(n, text[4:], false)
	}
	if !f.endRoute() {
		return false
	}
	f.cur, f.inRoutes = nil, false
	key, val, ok := keyValue(text)
	if !ok || f.seen[key] {
		return false
	}
	f.seen[key] = true
	switch key {
	case "node":
		return keepName(&f.c.Node, val, "node", valid.Hostname)
	case "metric":
		m, msg := valid.Metric(val)
		f.c.Metric = m
		return msg == "" && m > 0
	case "device":
		return keepName(&f.c.Device, val, "device", valid.Interface)
	case "force":
		f.c.Force = val == "true"
		return val == "true" || val == "false"
	case "offLink":
		var msg string
		f.c.OffLink, msg = ParseOffLink(val)
		return msg == ""
	case "address":
		a, ok := addrValue(val)
		if !ok {
			return false
		}
		var msg string
		f.c.Address, msg = valid.Addr("address", a)
		return msg == ""
	case "routes":
		f.inRoutes = val == ""
		return val == "" || val == "[]"
	}
	return false
}

// routeKey reads one `key: value` of the current route; the first, on the
// `- ` line, must be its destination.
func (f *fastReader) routeKey(n int, text string, first bool) bool {
	key, val, ok := keyValue(text)
	if !ok {
		return false
	}
	keys := [...]string{"destination", "gateway", "peer", "onlink"}
	i := 0
	for i < len(keys) && keys[i] != key {
		i++
	}
	if i == len(keys) || f.curKeys[i] || (i == 0) != first {
		return false
	}
	if i < 2 {
		if val, ok = addrValue(val); !ok {
			return false
		}
	}
	f.curKeys[i] = true
	d := f.cur
	switch i {
	case 0:
		d.Destination, d.dstOK = f.p.prefix(n, val)
	case 1:
		d.gwLine = n
		d.Gateway, d.gwOK = f.p.addr(n, val)
	case 2:
		return keepName(&d.Peer, val, "peer", valid.Hostname)
	case 3:
		d.OnLink, d.onlinkLine = val == "true", n
		return val == "true" || val == "false"
	}
	return true
}

// endRoute finishes the current route: it must have had a gateway.
func (f *fastReader) endRoute() bool {
	return f.cur == nil || f.curKeys[1]
}

// keyValue splits `key: value` (or `key:`) with a single space and no
// trailing blanks; anything fancier goes to the strict parser.
func keyValue(text string) (key, val string, ok bool) {
	key, val, found := strings.Cut(text, ":")
	if !found || key == "" || strings.IndexFunc(key, func(r rune) bool { return r == ' ' || r == '\t' || r == '"' || r == '\'' }) >= 0 {
		return "", "", false
	}
	if val == "" {
		return key, "", true
	}
	if val[0] != ' ' || len(val) < 2 || val[1] == ' ' || strings.HasSuffix(val, " ") || strings.ContainsRune(val, '\t') {
		return "", "", false
	}
	return key, val[1:], true
}

// keepName reads the name val into *dst, a copy (not a piece of the
// file's string), and reports whether it is one the fast path takes and
// check (a valid function) accepts as the key's value.
func keepName(dst *string, val, key string, check func(what, s string) string) bool {
	name, ok := nameValue(val)
	*dst = strings.Clone(name)
	return ok && check(key, name) == ""
}

// nameValue reads a name as the fast path takes it: plain (plainName), or
// double-quoted as Write quotes it (strconv.Quote); ok is false for
// anything else. The fast path reads printable ASCII only, which
// strconv.Quote escapes as YAML does: a backslash or a quote, and nothing
// else, so a name quoted exactly so reads the same in both.
func nameValue(val string) (string, bool) {
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		inner := val[1 : len(val)-1]
		if !strings.ContainsAny(inner, `"\`) {
			return inner, inner != ""
		}
		s, err := strconv.Unquote(val)
		return s, err == nil && s != "" && strconv.Quote(s) == val
	}
	return val, plainName(val)
}

// plainName accepts what YAML reads, unquoted, as the same string: a
// letter first, then letters, digits, '.', '_' and '-', and none of YAML's
// null or boolean words. Write quotes any other name.
func plainName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "null", "true", "false", "yes", "no", "on", "off", "y", "n":
		return false
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// addrValue reads an address or prefix as the fast path takes it: plain
// (isAddrLike) or in double quotes (as Write quotes one YAML would not read
// as written, such as fd00:: or ::/20).
func addrValue(val string) (string, bool) {
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		inner := val[1 : len(val)-1]
		return inner, inner != "" && strings.Trim(inner, "0123456789abcdefABCDEF.:/") == ""
	}
	return val, isAddrLike(val)
}

// isAddrLike accepts the plain strings of addresses and prefixes: a hex digit
// first (not ':' or '['), then hex digits, '.', ':' and '/', and a ':' or
// two '.' so that YAML never reads it as a number ("1.5" is a float), and no
// ':' last, which YAML would take for a mapping ("1::").
func isAddrLike(s string) bool {
	if s == "" || !isHex(s[0]) || s[len(s)-1] == ':' {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case !isHex(c) && c != '/':
			return false
		}
	}
	return colons > 0 || dots > 1 // "1.5" alone is a float
}

// printableASCII reports whether data holds only printable ASCII and \n:
// no control characters, CRs, tabs or non-ASCII, whose YAML rules the fast
// path leaves to the strict parser.
func printableASCII(data []byte) bool {
	for _, c := range data {
		if (c < 0x20 || c > 0x7e) && c != '\n' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
