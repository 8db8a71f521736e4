package inventory

import (
	"strings"

	"github.com/podroutes/podroutes/internal/diag"
)

// parseMachines reads the lab's machines.txt: one host a line, as
// `IP FQDN HOSTNAME [POD_SUBNET]` separated by spaces or tabs, where IP and
// POD_SUBNET may be comma-separated lists (one value per family). `#` starts
// a comment; blank lines and CRLF line ends are fine.
func parseMachines(l *diag.List, text string) hostList {
	var hl hostList
	n := 0
	for line := range strings.Lines(text) {
		n++
		line = strings.TrimRight(line, "\r\n")
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
		switch {
		case len(f) == 0:
			continue
		case len(f) < 3:
			l.Addf(n, "missing fields: want IP FQDN HOSTNAME [POD_SUBNET], got %s", diag.Count(len(f), "field"))
			continue
		case len(f) > 4:
			l.Addf(n, "too many fields: want at most 4, got %d", len(f))
			continue
		}
		var subnets []field
		if len(f) == 4 {
			subnets = splitField(f[3], n)
		}
		hl.add(l, Host{Name: f[2], FQDN: f[1], Line: n}, splitField(f[0], n), subnets, nil)
	}
	return hl
}
