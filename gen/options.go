package gen

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/valid"
)

// Options are `podroutes gen`'s: what it plans, and how it writes it.
type Options struct {
	// Format is "tree" (routes.yaml and the networkd drop-in) or "ip"
	// (the lab's `ip route replace` commands, printed).
	Format string
	// Out, if set, is where the trees are written (WriteTrees); else they
	// are printed (PrintTrees).
	Out string
	// Only, if not empty, are the hosts planned.
	Only []string
	// NetworkFile is the .network file the drop-in extends for hosts
	// whose inventory names none; OffLink the --off-link mode ("": none).
	NetworkFile string
	OffLink     string
}

// Check refuses options that do not go together or do not parse. Its
// errors are bad input, said before the inventory is read.
func (o Options) Check() error {
	if o.Format != "tree" && o.Format != "ip" {
		return fmt.Errorf("unknown --format %q: want tree or ip", o.Format)
	}
	if o.Format == "ip" && o.Out != "" {
		return errors.New("--format ip prints commands and cannot be used with --out")
	}
	if msg := valid.NetworkFile(o.NetworkFile); msg != "" {
		return fmt.Errorf("--network-file: %s", msg)
	}
	if _, msg := config.ParseOffLink(cmp.Or(o.OffLink, "none")); msg != "" {
		return fmt.Errorf("--off-link: %s", msg)
	}
	return nil
}

// Plan plans the hosts of inv that o selects (plan.Stream), after Check.
// Its errors are bad input.
func (o Options) Plan(inv inventory.Inventory) (iter.Seq[plan.Node], error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	mode, _ := config.ParseOffLink(cmp.Or(o.OffLink, "none"))
	if o.Format == "ip" && cmp.Or(inv.OffLink, mode) != config.OffLinkNone {
		return nil, errors.New("--format ip prints direct routes only: with off-link peers through VXLAN, " +
			"each host's `podroutes apply` decides which peers go direct and makes the tunnel")
	}
	var only []string
	if len(o.Only) > 0 {
		only = o.Only
	}
	return plan.Stream(inv, plan.Options{Only: only, NetworkFile: o.NetworkFile, OffLink: mode})
}

// Write writes nodes, planned from the inventory source, as o says:
// printed on stdout (as trees or ip commands) or as trees under o.Out.
func (o Options) Write(stdout io.Writer, nodes iter.Seq[plan.Node], source string) error {
	switch {
	case o.Format == "ip":
		return PrintIP(stdout, nodes)
	case o.Out == "":
		return PrintTrees(stdout, nodes, source)
	}
	return WriteTrees(o.Out, nodes, source)
}
