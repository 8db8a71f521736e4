package networkd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/podroutes/podroutes/internal/config"
)

// Change is what Install would change in a directory: the drop-in of c
// (Path) and whether it lacks its content (Write), and the other
// podroutes drop-ins there, which go (Remove). apply --dry-run prints it.
type Change struct {
	Path   string
	Write  bool
	Remove []string
	data   []byte
}

// Changes reports whether c changes anything.
func (c Change) Changes() bool { return c.Write || len(c.Remove) > 0 }

// Plan works out, changing nothing, what Install(dir, c, networkFile,
// source) would change.
func Plan(dir string, c config.Config, networkFile, source string) (Change, error) {
	var b bytes.Buffer
	if err := Render(&b, c, networkFile, source); err != nil {
		return Change{}, err
	}
	ch := Change{Path: filepath.Join(dir, filepath.FromSlash(DropInRel(networkFile))), data: b.Bytes()}
	old, err := os.ReadFile(ch.Path)
	ch.Write = Wanted(c) && (err != nil || !bytes.Equal(old, ch.data))
	for _, path := range DropIns(dir) {
		if path != ch.Path || !Wanted(c) {
			ch.Remove = append(ch.Remove, path)
		}
	}
	return ch, nil
}

// Print writes to w, as apply --dry-run prints the writes of routes, what
// c changes: the drop-in written, the others removed, and networkd's
// reload.
func (c Change) Print(w io.Writer) error {
	var b strings.Builder
	if c.Write {
		fmt.Fprintf(&b, "write    %s  # this host's networkd drop-in\n", c.Path)
	}
	for _, path := range c.Remove {
		fmt.Fprintf(&b, "remove   %s  # a podroutes drop-in for another .network file\n", path)
	}
	if c.Changes() {
		b.WriteString("reload   systemd-networkd  # networkctl reload\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("printing the plan: %w", err)
	}
	return nil
}

// Install writes the drop-in of c that extends networkFile into dir, a
// directory of .network files (apply uses /run/systemd/network, where
// networkd reads them and nothing survives a reboot), atomically and only
// if its content changed, and deletes any other podroutes drop-in there:
// one for the .network file the inventory named before would have
// networkd add the old routes on that file's link. It reports whether it
// wrote c's, and the others it deleted.
func Install(dir string, c config.Config, networkFile, source string) (wrote bool, removed []string, err error) {
	ch, err := Plan(dir, c, networkFile, source)
	if err != nil {
		return false, nil, err
	}
	if ch.Write {
		if err := writeDropIn(ch.Path, ch.data); err != nil {
			return false, nil, err
		}
	}
	removed, err = removeDropIns(ch.Remove)
	return ch.Write, removed, err
}

// writeDropIn writes data to path, atomically.
func writeDropIn(path string, data []byte) error {
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		return fmt.Errorf("installing the networkd drop-in: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".podroutes-*")
	if err != nil {
		return fmt.Errorf("installing the networkd drop-in: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; left only on error
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("installing the networkd drop-in %s: %w", path, err)
	}
	return nil
}

// DropIns lists the podroutes drop-ins (gen's, or apply's with
// --networkd-dropin) in dir, a directory of .network files, sorted. Not by
// filepath.Glob: dir is a path, not a pattern, and may hold its
// metacharacters ("/tmp/nd[x]").
func DropIns(dir string) []string {
	entries, _ := os.ReadDir(dir) // none when it cannot be read, as Glob
	var found []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".network.d") {
			continue
		}
		path := filepath.Join(dir, e.Name(), DropInName)
		if _, err := os.Lstat(path); err == nil {
			found = append(found, path)
		}
	}
	return found
}

// Remove deletes the podroutes drop-ins in dir (what Install wrote there,
// for any .network file: the inventory may have named another since) and
// each .d directory it leaves empty; it returns the drop-ins deleted. A
// drop-in already gone is no error.
func Remove(dir string) ([]string, error) { return removeDropIns(DropIns(dir)) }

// removeDropIns deletes the drop-ins at paths, as Remove does.
func removeDropIns(paths []string) ([]string, error) {
	var removed []string
	var errs []error
	for _, path := range paths {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing the networkd drop-in: %w", err))
			continue
		}
		removed = append(removed, path)
		// Only if empty: an admin's own drop-ins there stay.
		if err := os.Remove(filepath.Dir(path)); err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing the empty drop-in directory: %w", err))
		}
	}
	return removed, errors.Join(errs...)
}

// mkdirAll makes dir and its missing parents 0755 whatever the umask
// (podroutes.service's is 0077): networkd, which reads the drop-in, runs
// as its own user.
func mkdirAll(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirAll(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(dir, 0o755)
}
