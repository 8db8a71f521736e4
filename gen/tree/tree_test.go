package tree

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// snapshot prints every entry under dir: path, kind and content or target.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			lines = append(lines, fmt.Sprintf("%s -> %s", rel, target))
		case d.IsDir():
			lines = append(lines, rel+"/")
		default:
			data, _ := os.ReadFile(path)
			lines = append(lines, fmt.Sprintf("%s = %q", rel, data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// write stages and commits files given as "host/rel" -> content.
func write(t *testing.T, dir string, files [][2]string) error {
	t.Helper()
	st, err := New(dir)
	if err != nil {
		return err
	}
	defer st.Abort()
	for _, f := range files {
		host, rel, _ := strings.Cut(f[0], "/")
		if err := st.WriteFile(host, rel, text(f[1])); err != nil {
			return err
		}
	}
	return st.Commit()
}

func TestWriteAndReplace(t *testing.T) {
	dir := t.TempDir()
	if err := write(t, dir, [][2]string{{"a/etc/x", "1"}, {"b/etc/x", "2"}, {"b/etc/y", "3"}}); err != nil {
		t.Fatal(err)
	}
	// Something of the user's in DIR, and an old file inside b's tree.
	os.WriteFile(filepath.Join(dir, "README"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "b", "stale"), []byte("old"), 0o644)
	if err := write(t, dir, [][2]string{{"b/etc/x", "4"}}); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`.`, `README = "mine"`, // untouched
		`a/`, `a/etc/`, `a/etc/x = "1"`, // not written this time: untouched
		`b/`, `b/etc/`, `b/etc/x = "4"`, // replaced whole: stale and y are gone
	}, "\n")
	want = strings.Replace(want, ".", "./", 1)
	if got := snapshot(t, dir); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestSymlinkNotFollowed: a symlink planted where a host's tree goes is
// replaced itself; what it points at is never written.
func TestSymlinkNotFollowed(t *testing.T) {
	dir, victim := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(victim, "keep"), []byte("safe"), 0o644)
	os.Symlink(victim, filepath.Join(dir, "a"))
	os.Mkdir(filepath.Join(dir, "b"), 0o755)
	os.Symlink(victim, filepath.Join(dir, "b", "etc"))
	if err := write(t, dir, [][2]string{{"a/etc/x", "1"}, {"b/etc/x", "2"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, victim), "./\nkeep = \"safe\""; got != want {
		t.Errorf("the symlink's target changed:\n%s", got)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "a")); err != nil || !fi.IsDir() {
		t.Errorf("a is not a directory after the write: %v", err)
	}
}

// TestAllOrNothing: when rendering or installing fails, DIR is as it was.
func TestAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := write(t, dir, [][2]string{{"a/etc/x", "1"}, {"b/etc/x", "2"}}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	st, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.WriteFile("a", "etc/x", text("new"))
	boom := errors.New("boom")
	if err := st.WriteFile("b", "etc/x", func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("WriteFile returned %v, want boom", err)
	}
	st.Abort()
	if got := snapshot(t, dir); got != before {
		t.Errorf("after a failed render:\n%s\nwant\n%s", got, before)
	}

	// A rename that fails half way: b's staged tree vanishes before Commit.
	st, _ = New(dir)
	st.WriteFile("a", "etc/x", text("new"))
	st.WriteFile("b", "etc/x", text("new"))
	os.RemoveAll(filepath.Join(st.stage, "b"))
	if err := st.Commit(); err == nil {
		t.Fatal("Commit succeeded without b's tree")
	}
	if got := snapshot(t, dir); got != before {
		t.Errorf("after a failed commit:\n%s\nwant\n%s", got, before)
	}
}

func TestBadHostName(t *testing.T) {
	st, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Abort()
	for _, h := range []string{"", ".", "..", "a/b", ".hidden"} {
		if err := st.WriteFile(h, "etc/x", text("")); err == nil {
			t.Errorf("host %q accepted", h)
		}
	}
	if err := st.WriteFile("a", "../b/x", text("")); err == nil {
		t.Error("a path leaving the host's tree was accepted")
	}
}
