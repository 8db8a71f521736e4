package infile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/filetest"
)

var config = Options{What: "config", Max: 1 << 20}

// write writes content into a fresh directory with mode perm.
func write(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	filetest.Write(t, path, content, 0o600)
	if err := os.Chmod(path, perm); err != nil { // not subject to umask
		t.Fatal(err)
	}
	return path
}

// wantRefused asserts err is one whole-file problem naming path and want.
func wantRefused(t *testing.T, err error, path string, want ...string) {
	t.Helper()
	var de *diag.Error
	if !errors.As(err, &de) || len(de.Problems) != 1 {
		t.Fatalf("got %v; want one problem", err)
	}
	p := de.Problems[0]
	if p.File != path || p.Line != 0 {
		t.Errorf("problem at %s:%d; want %s, no line", p.File, p.Line, path)
	}
	for _, w := range want {
		if !strings.Contains(p.Msg, w) {
			t.Errorf("problem %q; want it to say %q", p.Msg, w)
		}
	}
}

func TestReadPermissions(t *testing.T) {
	for _, tt := range []struct {
		perm os.FileMode
		want string // "" = accepted
	}{
		{0o644, ""},
		{0o600, ""},
		{0o444, ""},
		{0o666, "group- or world-writable (mode -rw-rw-rw-)"},
		{0o620, "group- or world-writable (mode -rw--w----)"},
		{0o602, "group- or world-writable"},
	} {
		t.Run(tt.perm.String(), func(t *testing.T) {
			path := write(t, "node: a\n", tt.perm)
			trusted := config
			trusted.Trusted = true
			_, err := Read(path, trusted)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, path, "refusing config: "+tt.want, "chmod go-w "+path)
			if _, err := Read(path, config); err != nil {
				t.Errorf("not trusted: %v", err)
			}
		})
	}
}

func TestReadOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	path := write(t, "node: a\n", 0o644)
	if err := os.Chown(path, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path, Options{What: "inventory", Max: 100, Trusted: true})
	wantRefused(t, err, path, "refusing inventory: owned by uid 1000, not root", "chown root: "+path)
}

func TestReadSymlink(t *testing.T) {
	good, bad := write(t, "a", 0o644), write(t, "a", 0o666)
	dir := t.TempDir()
	trusted := config
	trusted.Trusted = true
	for target, ok := range map[string]bool{good: true, bad: false} {
		link := filepath.Join(dir, fmt.Sprint(ok))
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		_, err := Read(link, trusted)
		if ok && err != nil {
			t.Errorf("link to a good file: %v", err)
		}
		if !ok {
			wantRefused(t, err, link, "chmod go-w")
		}
	}
}

// TestReadNotRegular: a directory, a FIFO (which must not block), a
// device that never ends (/dev/zero) and /dev/null are refused.
func TestReadNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, fifo, "/dev/null", "/dev/zero"} {
		_, err := Read(path, Options{What: "inventory", Max: 1 << 20, Stdin: strings.NewReader("x")})
		wantRefused(t, err, path, "refusing inventory: not a regular file")
	}
}

func TestReadMissing(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "routes.yaml"), config)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "reading config: ") {
		t.Errorf("got %v; want reading config: ...not exist", err)
	}
}

// TestReadBound: a file or standard input larger than Max is refused;
// one of Max bytes is read whole.
func TestReadBound(t *testing.T) {
	o := Options{What: "inventory", Max: 10}
	for _, tt := range []struct {
		content string
		ok      bool
	}{{"0123456789", true}, {"0123456789a", false}} {
		path := write(t, tt.content, 0o644)
		stdin := o
		stdin.Stdin = strings.NewReader(tt.content)
		for _, c := range []struct {
			path string
			o    Options
		}{{path, o}, {"-", stdin}} {
			data, err := Read(c.path, c.o)
			switch {
			case tt.ok && (err != nil || string(data) != tt.content):
				t.Errorf("%s: %q, %v; want %q", c.path, data, err, tt.content)
			case !tt.ok:
				wantRefused(t, err, c.path, "refusing inventory: larger than 10 bytes; is this an inventory?")
			}
		}
	}
}

func TestText(t *testing.T) {
	for _, tt := range []struct {
		in, text, problem string
	}{
		{"\uFEFFa\nb\n", "a\nb\n", ""},
		{"a\nb\x00c\n", "", "f:2: binary input: NUL byte"},
		{"a\n\nb\xe9\n", "", "f:3: invalid UTF-8"},
	} {
		l := &diag.List{File: "f"}
		text, ok := Text(l, []byte(tt.in))
		if got := fmt.Sprint(l.Err()); text != tt.text || ok != (tt.problem == "") || tt.problem != "" && got != tt.problem {
			t.Errorf("Text(%q) = %q, %v, %s; want %q, %q", tt.in, text, ok, got, tt.text, tt.problem)
		}
	}
}
