package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/source"
)

// sourceOptions say where this host's routes come from (source.Options),
// and, for apply and watch, where its networkd drop-in goes.
type sourceOptions struct {
	source.Options
	// dropIns, when set (apply, watch: --networkd-dropin), is where this
	// host's networkd drop-in goes when its routes come from an inventory.
	dropIns string
}

func (o *sourceOptions) flags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Destination: &o.Config,
			Usage: "this host's routes `FILE` (root-owned, not group- or world-writable); default " +
				config.DefaultPath + " if it exists, else the inventory " + source.DefaultInventory},
	}, append(inventoryFlags(&o.Inventory, &o.InventoryFormat,
		"the inventory `FILE` every host shares (machines.txt, YAML or kubectl JSON; root-owned): this host's routes are planned from it"),
		kubeconfigFlag(&o.Kubeconfig),
		&cli.StringFlag{Name: "node", Destination: &o.Node,
			Usage: "this host's `NAME` in the inventory (default: the host with one of this host's addresses, else its hostname)"},
		networkFileFlag(&o.NetworkFile, "networkd `FILE`.network the uplink is managed by, for hosts the inventory names none for"),
		offLinkFlag(&o.OffLink),
	)...)
}

// offLinkFlag is --off-link, for gen and the commands that plan this
// host's routes from an inventory or the Nodes.
func offLinkFlag(mode *string) cli.Flag {
	return &cli.StringFlag{Name: "off-link", Destination: mode, EnvVars: []string{config.OffLinkEnv},
		Usage: "what a peer whose node address is on no link of this host gets: `MODE` none (no route until a link reaches it; " +
			"the default) or vxlan (its pod subnets through podroutes' VXLAN device); a YAML inventory says it in defaults: offLink"}
}

// open checks the flags and opens the source (source.Open); its errors
// are exit errors.
func (o *sourceOptions) open() (*source.Source, error) {
	if err := o.Exclusive(); err != nil {
		return nil, sourceError(err)
	}
	if err := o.DropInExcludes(o.dropIns); err != nil {
		return nil, sourceError(err)
	}
	src, err := source.Open(o.Options)
	return src, sourceError(err)
}

// sourceError is the exit error for a source's err: bad input (exit 2)
// or a failure (exit 1); other errors (a context's) as they are.
func sourceError(err error) error {
	var se *source.Error
	switch {
	case !errors.As(err, &se):
		return err
	case se.Input:
		return inputError(err)
	}
	return failure(err)
}

// kubeconfigFlag is --kubeconfig, for gen, apply, check, remove and watch.
func kubeconfigFlag(path *string) cli.Flag {
	return &cli.StringFlag{Name: "kubeconfig", Destination: path,
		Usage: "follow the Nodes of the Kubernetes API server this kubeconfig `FILE` names (root-owned, " +
			"e.g. /var/lib/kubelet/kubeconfig): they are the inventory; this host is --node, else found by address or hostname"}
}

// dropInFlag is --networkd-dropin, for apply and watch (where the drop-in
// goes) and remove (where it went): usage says which.
func dropInFlag(dir *string, usage string) cli.Flag {
	return &cli.StringFlag{Name: "networkd-dropin", Destination: dir, Usage: usage}
}

// dropInUsage is --networkd-dropin's usage for apply and watch.
const dropInUsage = "with --inventory, write this host's systemd-networkd route drop-in into `DIR` " +
	"(/run/systemd/network: the units' choice) and have networkd reload, so that it re-adds the routes after a reconfigure; " +
	"the routes then carry their gateway, as networkd's do, so that it adopts them; " +
	"refused with --config (gen writes that drop-in) and --kubeconfig"
