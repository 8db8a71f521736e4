package inventory

import (
	"fmt"
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/infile"
)

// Format names an inventory file format.
type Format string

// The inventory formats. The zero Format means FormatAuto.
const (
	// FormatAuto detects the format from the content: `{` starts kubectl
	// JSON; a first significant line that is a YAML key (`hosts:`,
	// `defaults:`, or any other `word:`), `---` or `%YAML` starts YAML;
	// anything else is machines.txt, whose lines start with an address.
	FormatAuto Format = "auto"
	// FormatMachines is the lab's machines.txt: `IP FQDN HOSTNAME [POD_SUBNET]`.
	FormatMachines Format = "machines"
	// FormatYAML is podroutes' YAML inventory (defaults: and hosts:).
	FormatYAML Format = "yaml"
	// FormatKubectl is the JSON of `kubectl get nodes -o json`.
	FormatKubectl Format = "kubectl"
)

// ParseFormat returns the Format named s ("" means FormatAuto).
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "":
		return FormatAuto, nil
	case FormatAuto, FormatMachines, FormatYAML, FormatKubectl:
		return f, nil
	}
	return "", fmt.Errorf("unknown inventory format %q: want auto, machines, yaml or kubectl", s)
}

// Parse reads the inventory in data, whose file name is name, in the given
// format (FormatAuto detects it). It returns either
//   - a validated Inventory and nil: at least one host, in file order; unique
//     hostnames and addresses; at most one address per family; subnets that
//     are masked, not /0, of a family the host has an address of, that
//     overlap no other subnet and contain no host's address; or
//   - a zero Inventory and a *diag.Error listing every problem found, each as
//     `NAME:LINE: message` (line 0 for the whole file).
//
// Parse never panics, whatever data holds.
func Parse(name string, data []byte, format Format) (Inventory, error) {
	l := &diag.List{File: name}
	text, ok := infile.Text(l, data)
	if !ok {
		return Inventory{}, l.Err()
	}
	if format == FormatAuto || format == "" {
		format = detect(text)
	}
	var hl hostList
	switch format {
	case FormatMachines:
		hl = parseMachines(l, text)
	case FormatYAML:
		hl = parseYAML(l, text)
	case FormatKubectl:
		hl = parseKubectl(l, text)
	default:
		l.Addf(0, "unknown inventory format %q", format)
		return Inventory{}, l.Err()
	}
	validate(l, hl.hosts, hl.partial)
	if err := l.Err(); err != nil {
		return Inventory{}, err
	}
	return Inventory{Source: name, Hosts: hl.hosts, OffLink: hl.offLink}, nil
}

// detect guesses the format of text (see FormatAuto).
func detect(text string) Format {
	if strings.HasPrefix(strings.TrimLeft(text, " \t\r\n"), "{") {
		return FormatKubectl
	}
	for line := range strings.Lines(text) {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if yamlKey(t) || strings.HasPrefix(t, "---") || strings.HasPrefix(t, "%YAML") {
			return FormatYAML
		}
		break
	}
	return FormatMachines
}

// yamlKey reports whether line starts with a YAML mapping key: a word
// (letters, digits, '_' or '-', from a letter) and a colon at its end or
// before a blank. A routes.yaml (`node:`) or a YAML inventory with an
// unknown first key is then read as YAML, and its keys named, rather
// than each line taken for a machines.txt line. No address is such a
// word: an IPv6 address's colons are followed by hex digits or another
// colon.
func yamlKey(line string) bool {
	word, rest, ok := strings.Cut(line, ":")
	if !ok || word == "" || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return false
	}
	for i, c := range word {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_' || c == '-')) {
			return false
		}
	}
	return true
}
