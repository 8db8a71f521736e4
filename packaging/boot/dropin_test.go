package boot

import (
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// TestDropInsKeepUnitFlags: a shipped drop-in that replaces a unit's
// ExecStart=, ExecReload= or ExecStop= (systemd cannot append to a command line)
// keeps every flag of the unit's own: it adds its flags, it must not lose
// one, as networkd.conf once lost --metrics-file auto. Runs without root.
func TestDropInsKeepUnitFlags(t *testing.T) {
	for dropIn, unit := range map[string]string{
		"networkd.conf":   "podroutes.service",
		"kubernetes.conf": "podroutes-watch.service",
	} {
		for _, key := range []string{"ExecStart", "ExecReload", "ExecStop"} {
			replaced := execLine(t, "../"+dropIn, key)
			if replaced == "" {
				continue
			}
			for _, flag := range flags(execLine(t, "../"+unit, key)) {
				if !strings.Contains(replaced+" ", flag+" ") {
					t.Errorf("%s: %s=%s lacks %s's %q", dropIn, key, replaced, unit, flag)
				}
			}
		}
	}
}

// execLine is the last non-empty key= line of a unit file: the command
// systemd runs (an empty one only resets the list).
func execLine(t *testing.T, path, key string) string {
	t.Helper()
	data := filetest.Read(t, path)
	cmd := ""
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok && v != "" {
			cmd = v
		}
	}
	return cmd
}

// flags are a command line's options, each with its value when it has
// one: "--wait 120s", "--all".
func flags(cmd string) []string {
	var fs []string
	words := strings.Fields(cmd)
	for i, w := range words {
		if !strings.HasPrefix(w, "--") {
			continue
		}
		if i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
			w += " " + words[i+1]
		}
		fs = append(fs, w)
	}
	return fs
}
