package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/podroutes/podroutes/internal/diag"
)

// maxSize bounds what Load reads: far more than the largest cluster needs
// (20000 routes take about 2 MB), far less than a mistaken path can hold.
const maxSize = 16 << 20

// Load reads and parses the config at path.
//
// When run as root it first refuses, as sshd's StrictModes does, a file that
// root would trust but another user could have written: one that is not a
// regular file (a symlink is followed and its target judged), not owned by
// root, or group- or world-writable. Such refusals and every problem Parse
// finds are returned as a *diag.Error; a file that cannot be read is an error
// wrapping the os error.
func Load(path string) (Config, error) {
	return load(path, os.Geteuid() == 0)
}

// load is Load with the ownership check chosen by the caller (tests).
func load(path string, strict bool) (Config, error) {
	// O_NONBLOCK: opening a FIFO must not hang; it is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Config{}, refuse(path, fmt.Sprintf("not a regular file (mode %s)", fi.Mode()))
	}
	if strict {
		if msg := untrusted(path, fi); msg != "" {
			return Config{}, refuse(path, msg)
		}
	}
	// Read into a buffer of the file's size, not one doubled on the way.
	var buf bytes.Buffer
	buf.Grow(int(min(max(fi.Size(), 0), maxSize)) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, maxSize+1)); err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	data := buf.Bytes()
	if len(data) > maxSize {
		return Config{}, refuse(path, fmt.Sprintf("larger than %d MiB; is this a routes.yaml?", maxSize>>20))
	}
	return Parse(path, data)
}

// refuse reports a problem with the file as a whole.
func refuse(path, msg string) error {
	l := diag.List{File: path}
	l.Addf(0, "refusing config: %s", msg)
	return l.Err()
}
