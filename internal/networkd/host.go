package networkd

import (
	"fmt"
	"io"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logs"
)

// Inline says whether podroutes must write its routes inline, each
// carrying its gateway, and why: where systemd-networkd installs the same
// routes (a podroutes drop-in in one of its directories, Find, or one
// that apply and watch install, dir: --networkd-dropin), the two must be
// the same route to the kernel, or networkd adds its own beside
// podroutes'. A route through a nexthop object is another than one that
// carries its gateway, as networkd's do.
func Inline(dir string) (bool, string) {
	if dir != "" {
		return true, "--networkd-dropin: routes carry their gateway, as systemd-networkd's do"
	}
	if path, ok := Find(); ok {
		return true, fmt.Sprintf("systemd-networkd installs these routes too (%s): they carry their gateway, as networkd's do", path)
	}
	return false, ""
}

// NoneWritten says, when a drop-in directory is given (dir,
// --networkd-dropin) but the routes come from this host's routes.yaml
// (path, routes: the default source when it exists), that no drop-in is
// written there: "" otherwise.
func NoneWritten(dir, path string, routes bool) string {
	if dir == "" || !routes {
		return ""
	}
	return fmt.Sprintf("--networkd-dropin: the routes come from %s, whose drop-in is gen's (in /etc/systemd/network): none written into %s",
		path, dir)
}

// UpdateOrPrint installs c's drop-in into dir and, when it changed, has
// networkd reload (Update); source is the file c was planned from. A dry
// run prints to dryRun what it would change instead.
func UpdateOrPrint(log logs.Logger, dir string, c config.Config, networkFile, source string, dryRun io.Writer) error {
	if dryRun != nil {
		ch, err := Plan(dir, c, networkFile, source)
		if err != nil {
			return err
		}
		return ch.Print(dryRun)
	}
	Update(log, dir, c, networkFile, source)
	return nil
}
