package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
)

// kubeNode is the part of a v1 Node that podroutes reads.
type kubeNode struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		PodCIDR  string   `json:"podCIDR"`
		PodCIDRs []string `json:"podCIDRs"`
	} `json:"spec"`
	Status struct {
		Addresses []NodeAddress `json:"addresses"`
	} `json:"status"`
}

// node is n as a Node. Its creationTimestamp is not read: the file is
// refused on any conflict between Nodes, whichever is older.
func (n *kubeNode) node() Node {
	return Node{Name: n.Metadata.Name, Addresses: n.Status.Addresses, PodCIDRs: n.Spec.PodCIDRs, PodCIDR: n.Spec.PodCIDR}
}

// kubeReader decodes `kubectl get nodes -o json` token by token, so that it
// knows the line each node starts on.
type kubeReader struct {
	l    *diag.List
	text string
	dec  *json.Decoder
	off  int // lines counted up to off
	line int
	hl   hostList
}

// parseKubectl reads the JSON of `kubectl get nodes -o json`: a v1 List of
// Nodes, or a single Node. Each problem is reported at the line its node
// starts on.
func parseKubectl(l *diag.List, text string) hostList {
	r := &kubeReader{l: l, text: text, dec: json.NewDecoder(strings.NewReader(text)), line: 1}
	if err := r.read(); err != nil {
		r.jsonError(err)
	}
	return r.hl
}

func (r *kubeReader) read() error {
	tok, err := r.dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return nil // no machines
	case err != nil:
		return err
	case tok != json.Delim('{'):
		r.l.Addf(r.lineAt(int(r.dec.InputOffset())), "want a JSON object (a List of Nodes or a Node), got %s", jsonKind(tok))
		return nil
	}
	start := r.lineAt(int(r.dec.InputOffset()) - 1)
	var top kubeNode
	items := false
	for r.dec.More() {
		key, err := r.dec.Token()
		if err != nil {
			return err
		}
		switch key {
		case "items":
			items = true
			err = r.items()
		case "kind":
			err = r.dec.Decode(&top.Kind)
		case "metadata":
			err = r.dec.Decode(&top.Metadata)
		case "spec":
			err = r.dec.Decode(&top.Spec)
		case "status":
			err = r.dec.Decode(&top.Status)
		default:
			err = r.dec.Decode(new(json.RawMessage))
		}
		if err = r.typeError(err, r.lineAt(int(r.dec.InputOffset())), ""); err != nil {
			return err
		}
	}
	if _, err := r.dec.Token(); err != nil { // the closing '}'
		return err
	}
	if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
		r.l.Addf(r.lineAt(int(r.dec.InputOffset())), "unexpected data after the JSON object")
	}
	switch top.Kind {
	case "Node":
		r.node(top, start)
	case "List", "NodeList":
	case "":
		if !items {
			r.l.Addf(start, "missing kind: want a List of Nodes or a Node")
		}
	default:
		r.l.Addf(start, "unsupported kind %q: want a List of Nodes or a Node", top.Kind)
	}
	return nil
}

// jsonKind names what the JSON value starting with tok is, for a message.
func jsonKind(tok json.Token) string {
	switch tok := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if tok == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return fmt.Sprintf("the string %q", tok)
	case bool:
		return strconv.FormatBool(tok)
	}
	return fmt.Sprintf("the number %v", tok)
}

// items decodes the array of items, each a Node.
func (r *kubeReader) items() error {
	if tok, err := r.dec.Token(); err != nil {
		return err
	} else if tok == nil {
		return nil // null, as Kubernetes reads it: no items
	} else if tok != json.Delim('[') {
		r.l.Addf(r.lineAt(int(r.dec.InputOffset())), "items: want a list, got %s", jsonKind(tok))
		return nil
	}
	for r.dec.More() {
		off := int(r.dec.InputOffset())
		off += len(r.text[off:]) - len(strings.TrimLeft(r.text[off:], " \t\r\n,"))
		line := r.lineAt(off)
		var n *kubeNode
		err := r.dec.Decode(&n)
		switch {
		case err == nil && n == nil:
			r.l.Addf(line, "item is null, not a Node")
		case err != nil:
			if n == nil {
				n = &kubeNode{}
			}
			if err = r.typeError(err, line, n.Metadata.Name); err != nil {
				return err
			}
		case n.Kind != "" && n.Kind != "Node":
			r.l.Addf(line, "item is a %q, not a Node", n.Kind)
		default:
			r.node(*n, line)
		}
	}
	_, err := r.dec.Token() // the closing ']'
	return err
}

// node adds the host that n describes.
func (r *kubeReader) node(n kubeNode, line int) {
	h, addrsOK, subnetsOK := fromNode(r.l, r.l, n.node(), line)
	r.hl.push(h, !addrsOK || !subnetsOK)
}

// typeError reports err at line if it is a JSON value of the wrong type
// (decoding goes on after those) in node name, and returns any other error.
func (r *kubeReader) typeError(err error, line int, name string) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	where := ""
	if name != "" {
		where = fmt.Sprintf("node %q: ", name)
	}
	r.l.Addf(line, "%s%s: want %s, got JSON %s", where, te.Field, te.Type, te.Value)
	return nil
}

// jsonError reports a decoding error at its line. A Decoder's syntax
// errors count offsets from the start of the value it was decoding, so the
// whole text is scanned again to place them.
func (r *kubeReader) jsonError(err error) {
	var se *json.SyntaxError
	if errors.As(json.Unmarshal([]byte(r.text), new(json.RawMessage)), &se) {
		r.l.Addf(r.lineAt(int(se.Offset)-1), "malformed JSON: %s", se)
		return
	}
	r.l.Addf(r.lineAt(int(r.dec.InputOffset())), "malformed JSON: %v", err)
}

// lineAt returns the line of offset off, counting incrementally since
// offsets mostly grow.
func (r *kubeReader) lineAt(off int) int {
	off = min(max(off, 0), len(r.text))
	if off < r.off {
		r.off, r.line = 0, 1
	}
	r.line += strings.Count(r.text[r.off:off], "\n")
	r.off = off
	return r.line
}
