package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// TestKubeDocs: docs/kubernetes.md shows examples/rbac.yaml and
// packaging/kubernetes.conf as they are (their settings, without the
// comments).
func TestKubeDocs(t *testing.T) {
	const doc = "../../docs/kubernetes.md"
	text := string(filetest.Read(t, doc))
	for file, lang := range map[string]string{"../../examples/rbac.yaml": "yaml", "../../packaging/kubernetes.conf": "ini"} {
		want := settings(string(filetest.Read(t, file)))
		block := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(text)
		if block == nil || settings(block[1]) != want {
			t.Errorf("%s's %s block is not %s without its comments:\n%s", doc, lang, file, want)
		}
	}
}

// settings is text without its comment lines, blank lines and trailing
// spaces.
func settings(text string) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	return strings.Join(lines, "\n")
}
