// Package tree writes per-host root-overlay trees (DIR/<host>/etc/...) all or
// nothing: every file is first written under a staging directory inside DIR,
// then each host's tree is renamed into place. On any error DIR is left as it
// was. Only DIR/<host> for the hosts written is replaced; nothing else in DIR
// is touched, and no symlink planted in DIR is followed.
package tree

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Stage is a set of host trees being written under DIR.
type Stage struct {
	dir   string
	stage string
	hosts []string
	seen  map[string]bool
}

// New creates DIR if needed and a staging directory inside it.
func New(dir string) (*Stage, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output directory: %w", err)
	}
	stage, err := os.MkdirTemp(dir, ".podroutes-stage-")
	if err != nil {
		return nil, fmt.Errorf("creating staging directory: %w", err)
	}
	return &Stage{dir: dir, stage: stage, seen: map[string]bool{}}, nil
}

// WriteFile stages the file rel (slash-separated) of host's tree, with the
// content that write produces. Files are 0644, directories 0755.
func (s *Stage) WriteFile(host, rel string, write func(io.Writer) error) error {
	if err := checkName(host); err != nil {
		return err
	}
	if !s.seen[host] {
		s.seen[host] = true
		s.hosts = append(s.hosts, host)
	}
	path := filepath.Join(s.stage, host, filepath.FromSlash(rel))
	if !strings.HasPrefix(path, filepath.Join(s.stage, host)+string(filepath.Separator)) {
		return fmt.Errorf("writing %s/%s: path leaves the host's tree", host, rel)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s/%s: %w", host, rel, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s/%s: %w", host, rel, err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s/%s: %w", host, rel, err)
	}
	return nil
}

// Commit moves every staged host tree to DIR/<host>, replacing what was
// there (a directory, file or symlink itself, never its target). If a rename
// fails, the hosts already moved are put back and DIR is as it was.
func (s *Stage) Commit() (err error) {
	defer s.Abort()
	old, err := os.MkdirTemp(s.dir, ".podroutes-old-")
	if err != nil {
		return fmt.Errorf("creating staging directory: %w", err)
	}
	defer os.RemoveAll(old)
	var done []swap
	defer func() {
		if err != nil {
			for i := len(done) - 1; i >= 0; i-- {
				done[i].undo()
			}
		}
	}()
	for _, h := range s.hosts {
		sw := swap{target: filepath.Join(s.dir, h), staged: filepath.Join(s.stage, h), saved: filepath.Join(old, h)}
		if err := sw.do(); err != nil {
			return fmt.Errorf("installing tree for %s: %w", h, err)
		}
		done = append(done, sw)
	}
	return nil
}

// Abort removes the staging directory; after Commit it is a no-op.
func (s *Stage) Abort() {
	os.RemoveAll(s.stage)
}

// swap replaces target by staged, keeping what was at target in saved.
type swap struct {
	target, staged, saved string
	hadOld                bool
}

func (w *swap) do() error {
	if _, err := os.Lstat(w.target); err == nil {
		if err := os.Rename(w.target, w.saved); err != nil {
			return err
		}
		w.hadOld = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(w.staged, w.target); err != nil {
		if w.hadOld {
			os.Rename(w.saved, w.target)
		}
		return err
	}
	return nil
}

func (w *swap) undo() {
	os.Rename(w.target, w.staged)
	if w.hadOld {
		os.Rename(w.saved, w.target)
	}
}

// checkName refuses host names that are not a single path element.
func checkName(host string) error {
	if host == "" || strings.HasPrefix(host, ".") || strings.ContainsAny(host, `/\`) {
		return fmt.Errorf("host name %q cannot name a directory", host)
	}
	return nil
}
