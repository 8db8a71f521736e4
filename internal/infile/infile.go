// Package infile reads the files podroutes takes as input (routes.yaml,
// inventories, a kubeconfig) the one careful way: a regular file only (a
// FIFO would block, /dev/zero would never end), no more than a bound, and
// for what root acts on, only a file root could trust, as sshd's
// StrictModes demands. Text then refuses what is not text.
package infile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/podroutes/podroutes/internal/diag"
)

// Options say how to read one kind of file.
type Options struct {
	// What names the file in refusals ("config", "inventory").
	What string
	// Max bounds the size read; a larger file is refused.
	Max int64
	// Trusted refuses a file that root would act on but another user could
	// have written: not owned by root, or group- or world-writable. Set it
	// (AsRoot) when running as root and the file decides what happens to
	// routes.
	Trusted bool
	// Stdin, when set, is what the path "-" reads.
	Stdin io.Reader
}

// AsRoot reports whether this process runs as root, whose input files
// must be Trusted: the one rule for every file that decides routes (the
// config, the inventory, the kubeconfig).
func AsRoot() bool { return os.Geteuid() == 0 }

// Read returns the content of the file at path. A file it refuses (not a
// regular file, too large, untrusted) is a *diag.Error naming path (line 0:
// the whole file); one it cannot read is an error wrapping the os error.
func Read(path string, o Options) ([]byte, error) {
	if path == "-" && o.Stdin != nil {
		return bounded(path, o, o.Stdin, 0)
	}
	// O_NONBLOCK: opening a FIFO must not hang; it is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.What, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.What, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, refuse(path, o, fmt.Sprintf("not a regular file (mode %s)", fi.Mode()))
	}
	if o.Trusted {
		if msg := untrusted(path, fi); msg != "" {
			return nil, refuse(path, o, msg)
		}
	}
	return bounded(path, o, f, fi.Size())
}

// Untrusted says why root should not trust the file at path, by the rule
// Options.Trusted applies to a file read (owned by root, writable by
// nobody else; run by another user, owned by root or that user), or "" if
// it may: for a file that decides what root does but that podroutes does
// not read itself (a credential a kubeconfig names, a program it runs,
// podroutes-kube). An error is one looking at the file.
func Untrusted(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	return untrusted(path, fi), nil
}

// bounded reads r up to o.Max, into a buffer of size (its expected size),
// not one doubled on the way.
func bounded(path string, o Options, r io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(max(size, 0), o.Max)) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(r, o.Max+1)); err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.What, err)
	}
	if int64(buf.Len()) > o.Max {
		return nil, refuse(path, o, fmt.Sprintf("larger than %s; is this a%s %s?", size2(o.Max), article(o.What), o.What))
	}
	return buf.Bytes(), nil
}

func size2(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func article(what string) string {
	if what != "" && strings.ContainsRune("aeiou", rune(what[0])) {
		return "n"
	}
	return ""
}

// refuse reports a problem with the file as a whole.
func refuse(path string, o Options, msg string) error {
	l := diag.List{File: path}
	l.Addf(0, "refusing %s: %s", o.What, msg)
	return l.Err()
}

// Text returns data as text without a UTF-8 byte order mark, or reports to
// l, at its line, the first NUL byte or invalid UTF-8 sequence: such a
// file is binary, or in an encoding podroutes does not read.
func Text(l *diag.List, data []byte) (string, bool) {
	text := strings.TrimPrefix(string(data), "\uFEFF")
	if i := strings.IndexByte(text, 0); i >= 0 {
		l.Addf(lineAt(text, i), "binary input: NUL byte")
		return "", false
	}
	if !utf8.ValidString(text) {
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		l.Addf(lineAt(text, i), "invalid UTF-8")
		return "", false
	}
	return text, true
}

// lineAt returns the 1-based line of byte offset off in text.
func lineAt(text string, off int) int {
	off = min(max(off, 0), len(text))
	return 1 + strings.Count(text[:off], "\n")
}
