package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// TestKubeDocs: the README's "Kubernetes as the inventory" shows
// examples/rbac.yaml and packaging/kubernetes.conf as they are (their
// settings, without the comments).
func TestKubeDocs(t *testing.T) {
	readme := string(filetest.Read(t, "../../README.md"))
	i := strings.Index(readme, "## Kubernetes as the inventory")
	if i < 0 {
		t.Fatal(`README.md has no "Kubernetes as the inventory" section`)
	}
	section := readme[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	for file, lang := range map[string]string{"../../examples/rbac.yaml": "yaml", "../../packaging/kubernetes.conf": "ini"} {
		want := settings(string(filetest.Read(t, file)))
		block := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(section)
		if block == nil || settings(block[1]) != want {
			t.Errorf("the README's %s block is not %s without its comments:\n%s", lang, file, want)
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
