package filetest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteRead: Write makes the missing directory, writes the mode asked
// (past the umask only as the umask allows) and returns the path; Read
// gives back what was written.
func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "file")
	if got := Write(t, path, "text\n", 0o600); got != path {
		t.Errorf("Write returned %q, want %q", got, path)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", path, fi, err)
	}
	if got := string(Read(t, path)); got != "text\n" {
		t.Errorf("Read = %q, want %q", got, "text\n")
	}
}
