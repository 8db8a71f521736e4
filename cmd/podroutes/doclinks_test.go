package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/filetest"
)

// TestDocLinks: every relative link of the README, CONTRIBUTING.md,
// packaging/README.md and docs/ names a file that exists, and a #fragment a heading of it (as
// GitHub makes anchors: lowercased, punctuation dropped, spaces as -).
func TestDocLinks(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no docs/*.md")
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range append([]string{"../../README.md", "../../CONTRIBUTING.md", "../../packaging/README.md"}, docs...) {
		text := string(filetest.Read(t, doc))
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, fragment, _ := strings.Cut(target, "#")
			file := doc
			if path != "" {
				file = filepath.Join(filepath.Dir(doc), path)
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s links to %s: %v", doc, target, err)
					continue
				}
			}
			if fragment != "" && !hasAnchor(string(filetest.Read(t, file)), fragment) {
				t.Errorf("%s links to %s: %s has no heading with that anchor", doc, target, file)
			}
		}
	}
}

// hasAnchor says whether markdown has a heading (outside code blocks)
// whose GitHub anchor is anchor.
func hasAnchor(markdown, anchor string) bool {
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	code := false
	for _, l := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			code = !code
		}
		heading := strings.TrimLeft(l, "#")
		if code || heading == l || !strings.HasPrefix(heading, " ") {
			continue
		}
		slug := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(heading)), ""), " ", "-")
		if slug == anchor {
			return true
		}
	}
	return false
}
