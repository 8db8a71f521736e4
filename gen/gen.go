// Package gen is `podroutes gen`: inventory in, per-host files out. It is
// pure (no netlink, no root): it plans each host's routes and renders them as
// root-overlay trees written all or nothing, as a listing on stdout, or as
// the lab's `ip route` commands.
package gen

import (
	"fmt"
	"io"
	"iter"

	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/gen/render"
	"github.com/podroutes/podroutes/gen/tree"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/networkd"
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
// A host whose off-link peers go through VXLAN gets no networkd drop-in:
// which peers are off-link is the host's links' to say, at run time, and
// the tunnel's device and entries are apply's (podroutes.service) to
// make; networkd would install every route direct.
func hostFiles(n plan.Node, source string) []file {
	fs := []file{{config.InstallPath, func(w io.Writer) error { return config.Write(w, n.Config, source) }}}
	if !networkd.Wanted(n.Config) {
		return fs
	}
	return append(fs, file{networkd.DropInPath(n.NetworkFile), func(w io.Writer) error { return networkd.Render(w, n.Config, n.NetworkFile, source) }})
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
