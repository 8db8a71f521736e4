package main

import (
	"context"
	"errors"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/gen"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/notify"
	"github.com/podroutes/podroutes/internal/source"
)

// inventoryOptions are the flags gen and validate share.
type inventoryOptions struct {
	path   string
	format string
}

func (o *inventoryOptions) flags() []cli.Flag {
	return inventoryFlags(&o.path, &o.format,
		"inventory `FILE`: machines.txt, YAML inventory or `kubectl get nodes -o json` output (- for stdin)")
}

// inventoryFlags are --inventory (path; usage says what it is for the
// command) and --inventory-format (format), for every command that reads
// an inventory.
func inventoryFlags(path, format *string, usage string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "inventory", Aliases: []string{"i"}, Destination: path, Usage: usage},
		&cli.StringFlag{Name: "inventory-format", Value: string(inventory.FormatAuto), Destination: format,
			Usage: "inventory format: auto (by content), machines, yaml or kubectl"},
	}
}

// networkFileFlag is --network-file, for gen and the commands that plan
// this host's routes: usage says what the file is to the command.
func networkFileFlag(file *string, usage string) cli.Flag {
	return &cli.StringFlag{Name: "network-file", Value: gen.DefaultNetworkFile, Destination: file, Usage: usage}
}

// load reads and validates the inventory. Every problem is bad input.
func (o *inventoryOptions) load(stdin io.Reader) (inventory.Inventory, error) {
	inv, err := source.ReadInventory(o.path, o.format, stdin, false)
	return inv, sourceError(err)
}

type genOptions struct {
	inventoryOptions
	kubeconfig  string
	out         string
	nodes       cli.StringSlice
	format      string
	networkFile string
	offLink     string
}

// genCommand is `podroutes gen`, from one inventory to every host's files.
func genCommand() *cli.Command {
	var o genOptions
	return command("gen", "plan every host's routes from an inventory and write one tree per host",
		append(o.inventoryOptions.flags(), kubeconfigFlag(&o.kubeconfig),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Destination: &o.out,
				Usage: "write the trees under `DIR` (default: print them)"},
			&cli.StringSliceFlag{Name: "node", Aliases: []string{"n"}, Destination: &o.nodes,
				Usage: "only this host (repeatable)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "tree", Destination: &o.format,
				Usage: "output: tree (routes.yaml and networkd drop-in) or ip (ip route replace commands)"},
			networkFileFlag(&o.networkFile, "networkd `FILE`.network the drop-in extends, for hosts whose inventory names none"),
			offLinkFlag(&o.offLink),
		),
		func(c *cli.Context) error { return runGen(c.Context, c.App.Reader, c.App.Writer, c.App.ErrWriter, o) })
}

func runGen(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, o genOptions) error {
	g := gen.Options{Format: o.format, Out: o.out, Only: o.nodes.Value(), NetworkFile: o.networkFile, OffLink: o.offLink}
	if err := g.Check(); err != nil {
		return inputError(err)
	}
	inv, err := o.inventory(ctx, stdin, stderr)
	if err != nil {
		return err
	}
	nodes, err := g.Plan(inv)
	if err != nil {
		return inputError(err)
	}
	if err := g.Write(stdout, nodes, inv.Source); err != nil {
		return failed("gen", err)
	}
	return nil
}

// inventory reads the inventory file, or lists the Nodes of the API
// server (their problems, logged on stderr, leave them out of the plan
// rather than refuse it, as watch does).
func (o *genOptions) inventory(ctx context.Context, stdin io.Reader, stderr io.Writer) (inventory.Inventory, error) {
	if o.kubeconfig == "" {
		return o.load(stdin)
	}
	if o.path != "" {
		return inventory.Inventory{}, inputError(errors.New("--kubeconfig excludes --inventory"))
	}
	inv, err := source.Nodes(ctx, o.kubeconfig, notify.NewLogger(stderr))
	return inv, sourceError(err)
}

// validateCommand is `podroutes validate`, gen's checks without its output.
func validateCommand() *cli.Command {
	var o inventoryOptions
	return &cli.Command{
		Name:  "validate",
		Usage: "check an inventory and report every problem as FILE:LINE: message",
		Flags: o.flags(),
		Action: func(c *cli.Context) error {
			_, err := o.load(c.App.Reader)
			return err
		},
	}
}
