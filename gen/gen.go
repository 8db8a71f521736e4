// Package gen is `podroutes gen`: inventory in, per-host files out. It is
// pure (no netlink, no root): it plans each host's routes and renders them as
// root-overlay trees written all or nothing, as a listing on stdout, or as
// the lab's `ip route` commands.
package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/gen/render"
	"github.com/podroutes/podroutes/gen/tree"
	"github.com/podroutes/podroutes/internal/config"
)

// DefaultNetworkFile is the systemd-networkd .network file the drop-in
// extends when the inventory names none: what netplan writes for eth0.
const DefaultNetworkFile = "10-netplan-eth0.network"

// file is one output file of a host's tree.
type file struct {
	rel    string
	render func(io.Writer) error
}

// hostFiles lists the files of n's tree, in the order they are printed.
func hostFiles(n plan.Node, source string) []file {
	return []file{
		{config.InstallPath, func(w io.Writer) error { return config.Write(w, n.Config, source) }},
		{render.DropInPath(n), func(w io.Writer) error { return render.DropIn(w, n, source) }},
	}
}

// WriteTrees writes DIR/<host>/... for every node, all or nothing.
func WriteTrees(dir string, nodes iter.Seq[plan.Node], source string) error {
	st, err := tree.New(dir)
	if err != nil {
		return err
	}
	defer st.Abort()
	for n := range nodes {
		for _, f := range hostFiles(n, source) {
			if err := st.WriteFile(n.Config.Node, f.rel, f.render); err != nil {
				return err
			}
		}
	}
	return st.Commit()
}

// PrintTrees writes every node's files to w, each behind a
// `==> HOST/PATH <==` line, as a preview of what WriteTrees would write.
func PrintTrees(w io.Writer, nodes iter.Seq[plan.Node], source string) error {
	sep := ""
	for n := range nodes {
		for _, f := range hostFiles(n, source) {
			if _, err := fmt.Fprintf(w, "%s==> %s/%s <==\n", sep, n.Config.Node, f.rel); err != nil {
				return err
			}
			if err := f.render(w); err != nil {
				return err
			}
			sep = "\n"
		}
	}
	return nil
}

// PrintIP writes each node's `ip route replace` commands to w.
func PrintIP(w io.Writer, nodes iter.Seq[plan.Node]) error {
	for n := range nodes {
		if err := render.IPCommands(w, n); err != nil {
			return err
		}
	}
	return nil
}

// DropInChange is what InstallDropIn would change in a directory: n's
// drop-in (Path) and whether it lacks its content (Write), and the other
// podroutes drop-ins there, which go (Remove). apply --dry-run prints it.
type DropInChange struct {
	Path   string
	Write  bool
	Remove []string
	data   []byte
}

// Changes reports whether c changes anything.
func (c DropInChange) Changes() bool { return c.Write || len(c.Remove) > 0 }

// PlanDropIn works out, changing nothing, what InstallDropIn(dir, n,
// source) would change.
func PlanDropIn(dir string, n plan.Node, source string) (DropInChange, error) {
	var b bytes.Buffer
	if err := render.DropIn(&b, n, source); err != nil {
		return DropInChange{}, err
	}
	c := DropInChange{Path: filepath.Join(dir, filepath.FromSlash(render.DropInRel(n))), data: b.Bytes()}
	old, err := os.ReadFile(c.Path)
	c.Write = err != nil || !bytes.Equal(old, c.data)
	for _, path := range DropIns(dir) {
		if path != c.Path {
			c.Remove = append(c.Remove, path)
		}
	}
	return c, nil
}

// InstallDropIn writes n's networkd drop-in into dir, a directory of
// .network files (apply uses /run/systemd/network, where networkd reads
// them and nothing survives a reboot), atomically and only if its content
// changed, and deletes any other podroutes drop-in there: one for the
// .network file the inventory named before would have networkd add the
// old routes on that file's link. It reports whether it wrote n's, and
// the others it deleted.
func InstallDropIn(dir string, n plan.Node, source string) (wrote bool, removed []string, err error) {
	c, err := PlanDropIn(dir, n, source)
	if err != nil {
		return false, nil, err
	}
	if c.Write {
		if err := writeDropIn(c.Path, c.data); err != nil {
			return false, nil, err
		}
	}
	removed, err = removeDropIns(c.Remove)
	return c.Write, removed, err
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
		path := filepath.Join(dir, e.Name(), render.DropInName)
		if _, err := os.Lstat(path); err == nil {
			found = append(found, path)
		}
	}
	return found
}

// RemoveDropIns deletes the podroutes drop-ins in dir (what InstallDropIn
// wrote there, for any .network file: the inventory may have named
// another since) and each .d directory it leaves empty; it returns the
// drop-ins deleted. A drop-in already gone is no error.
func RemoveDropIns(dir string) ([]string, error) { return removeDropIns(DropIns(dir)) }

// removeDropIns deletes the drop-ins at paths, as RemoveDropIns does.
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
