// Package filetest reads and writes the files tests work with, failing the
// test on any error: one line where each test had the same four.
package filetest

import (
	"os"
	"path/filepath"
	"testing"
)

// Read returns the content of the file at path.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Write writes content to the file at path with mode perm, making its
// directory first, and returns path.
func Write(t testing.TB, path, content string, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	return path
}
