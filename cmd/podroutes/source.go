package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/apply/kernel"
	"github.com/podroutes/podroutes/gen"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/infile"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/notify"
	"github.com/podroutes/podroutes/internal/valid"
)

// defaultInventory is the inventory a host shares with every other host,
// read when it has no routes.yaml of its own.
const defaultInventory = "/etc/podroutes/inventory"

// sourceOptions say where this host's routes come from: its routes.yaml
// (--config), or an inventory every host shares (--inventory) or the
// Nodes of a Kubernetes API server (--kubeconfig), which this host is
// found in (--node, else by address, else by name) and planned from as
// `gen --node` plans it. With none, /etc/podroutes/routes.yaml when it
// exists wins, else /etc/podroutes/inventory.
type sourceOptions struct {
	config      string
	inventory   inventoryOptions
	kubeconfig  string
	node        string
	networkFile string
	// dropIns, when set (apply, watch: --networkd-dropin), is where this
	// host's networkd drop-in goes when its routes come from an inventory.
	dropIns string
}

func (o *sourceOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Destination: &o.config,
			Usage: "this host's routes `FILE` (root-owned, not group- or world-writable); default " +
				config.DefaultPath + " if it exists, else the inventory " + defaultInventory},
		&cli.StringFlag{Name: "inventory", Aliases: []string{"i"}, Destination: &o.inventory.path,
			Usage: "the inventory `FILE` every host shares (machines.txt, YAML or kubectl JSON; root-owned): this host's routes are planned from it"},
		&cli.StringFlag{Name: "inventory-format", Value: string(inventory.FormatAuto), Destination: &o.inventory.format,
			Usage: "inventory format: auto (by content), machines, yaml or kubectl"},
		kubeconfigFlag(&o.kubeconfig),
		&cli.StringFlag{Name: "node", Destination: &o.node,
			Usage: "this host's `NAME` in the inventory (default: the host with one of this host's addresses, else its hostname)"},
		&cli.StringFlag{Name: "network-file", Value: gen.DefaultNetworkFile, Destination: &o.networkFile,
			Usage: "networkd `FILE`.network the uplink is managed by, for hosts the inventory names none for"},
	}
}

// kubeconfigFlag is --kubeconfig, for gen, apply, check, remove and watch.
func kubeconfigFlag(path *string) cli.Flag {
	return &cli.StringFlag{Name: "kubeconfig", Destination: path,
		Usage: "follow the Nodes of the Kubernetes API server this kubeconfig `FILE` names (root-owned, " +
			"e.g. /var/lib/kubelet/kubeconfig): they are the inventory; this host is --node, else found by address or hostname"}
}

// dropInFlag is --networkd-dropin, for apply and watch.
func (o *sourceOptions) dropInFlag() cli.Flag {
	return &cli.StringFlag{Name: "networkd-dropin", Destination: &o.dropIns,
		Usage: "with --inventory, write this host's systemd-networkd route drop-in into `DIR` " +
			"(/run/systemd/network: the units' choice) and have networkd reload, so that it re-adds the routes after a reconfigure; " +
			"the routes then carry their gateway, as networkd's do, so that it adopts them; " +
			"refused with --config (gen writes that drop-in) and --kubeconfig"}
}

// dropInExcludes refuses --networkd-dropin with a source it does not fit
// (bad usage, exit 2). --kubeconfig: the drop-in would change, and
// `networkctl reload` reconfigure the uplink, with every Node that joins,
// leaves or moves; the watcher puts the routes back after networkd drops
// them instead. --config: that routes.yaml's drop-in is gen's, installed
// with it. When routes.yaml is the default (networkd.conf, the same on
// every host, passes the flag), it is not refused but said (dropInNote).
func (o *sourceOptions) dropInExcludes() error {
	switch {
	case o.dropIns == "":
	case o.kubeconfig != "":
		return inputError(errors.New("--networkd-dropin excludes --kubeconfig: the drop-in, and networkd's reload of the uplink, " +
			"would follow every Node that joins, leaves or moves; without it, watch puts the routes back after networkd drops them"))
	case o.config != "":
		return inputError(errors.New("--networkd-dropin excludes --config: a routes.yaml's drop-in is gen's, " +
			"installed with it into /etc/systemd/network; --networkd-dropin writes one from --inventory"))
	}
	return nil
}

// dropInNote says, when --networkd-dropin is set but the routes come from
// this host's routes.yaml (the default source, when it exists), that no
// drop-in is written: "" otherwise.
func (s *source) dropInNote() string {
	if s.o.dropIns == "" || s.cfg == nil {
		return ""
	}
	return fmt.Sprintf("--networkd-dropin: the routes come from %s, whose drop-in is gen's (in /etc/systemd/network): none written into %s",
		s.path, s.o.dropIns)
}

// source is where this host's routes come from, read and checked.
type source struct {
	o    *sourceOptions
	path string               // the file, for messages
	inv  *inventory.Inventory // from an inventory
	cfg  *config.Config       // from routes.yaml
	kube *kubeSource          // from the Nodes (--kubeconfig)
	// read: inv or cfg was just read by open; the first load takes it,
	// the next read the file again (a reload).
	read bool
	// wait bounds, at boot, the wait for an address that says which host
	// of the inventory this is; changes signals address changes.
	wait    time.Duration
	changes func(done <-chan struct{}) (<-chan struct{}, error)
	// metrics, if set, is told how many Nodes are routed and whether the
	// API server answers (--kubeconfig; metrics.Metrics).
	metrics nodeMetrics
	// dryRun, if set (apply --dry-run), gets what load would change in
	// the drop-in directory, which it leaves as it is.
	dryRun io.Writer
	// identity is which host this is, and by what, as logged last: the
	// line is logged when it changes, not at each reload or update.
	identity string
}

// perNode reports whether the config's routes are judged one by one, a
// route the host's links make wrong left out (apply.Options.LeaveOut):
// those of the Nodes of the API are, each Node an input of its own that
// must not hold up the others; a file is judged, and refused, as a whole.
func (s *source) perNode() bool { return s.kube != nil }

// nodeMetrics is what the metrics say of the Kubernetes source.
type nodeMetrics interface {
	Nodes(routed, notRouted int)
	Answering(up bool)
}

// open decides where the routes come from and reads that file: every
// problem with it, anywhere in it, is bad input (exit 2), found before
// anything is written.
func (o *sourceOptions) open(stdin io.Reader) (*source, error) {
	if o.config != "" && o.inventory.path != "" {
		return nil, inputError(errors.New("--config and --inventory exclude each other"))
	}
	if o.kubeconfig != "" && (o.config != "" || o.inventory.path != "") {
		return nil, inputError(errors.New("--kubeconfig excludes --config and --inventory"))
	}
	if err := o.dropInExcludes(); err != nil {
		return nil, err
	}
	if msg := valid.NetworkFile(o.networkFile); msg != "" {
		return nil, inputError(fmt.Errorf("--network-file: %s", msg))
	}
	if o.kubeconfig != "" {
		k, err := openKube(o.kubeconfig)
		return &source{o: o, path: o.kubeconfig, kube: k}, err
	}
	s := &source{o: o, path: o.config}
	switch {
	case o.inventory.path != "":
		s.path = o.inventory.path
	case o.config != "":
	default:
		path, err := defaultSource(config.DefaultPath, defaultInventory)
		if err != nil {
			return nil, err
		}
		s.path = path
	}
	if s.path == o.config || s.path == config.DefaultPath {
		c, err := loadConfig(s.path)
		s.cfg, s.read = &c, true
		return s, err
	}
	o.inventory.path = s.path
	inv, err := o.inventory.read(stdin, infile.AsRoot())
	s.inv, s.read = &inv, true
	return s, err
}

// defaultSource is the file read when no flag names one: routes (this
// host's routes.yaml) when it exists, else inv (the inventory every host
// shares); with neither, saying so is bad input.
func defaultSource(routes, inv string) (string, error) {
	switch {
	case exists(routes):
		return routes, nil
	case exists(inv):
		return inv, nil
	}
	return "", inputError(fmt.Errorf("no config: neither %s (this host's routes, from podroutes gen) nor %s "+
		"(the inventory every host shares) exists; name one with --config, --inventory or --kubeconfig", routes, inv))
}

// exists reports whether path is there (a file that cannot be looked at
// counts: reading it says why).
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// load returns this host's config: routes.yaml, or the inventory's plan
// for this host, found among its hosts with the host's addresses (local)
// and name; reading the file again each time (a reload), or planning
// from the Nodes listed last (fetch, follow). From an inventory or the
// Nodes, it installs the host's networkd drop-in too, when asked.
func (s *source) load(ctx context.Context, local thisHost, log *notify.Logger) (config.Config, error) {
	var n plan.Node
	var err error
	switch {
	case s.kube != nil:
		s.kube.mu.Lock()
		defer s.kube.mu.Unlock()
		n, err = s.kube.plan(ctx, s, local, log)
	case s.inv == nil:
		if s.read {
			s.read = false
			return *s.cfg, nil
		}
		return loadConfig(s.path)
	default:
		if !s.read {
			inv, err := s.o.inventory.read(nil, infile.AsRoot())
			if err != nil {
				return config.Config{}, err
			}
			s.inv = &inv
		}
		s.read = false
		n, err = s.plan(ctx, *s.inv, local, log)
	}
	if err == nil && s.o.dropIns != "" {
		err = s.dropIn(n, log)
	}
	return n.Config, err
}

// kernelOptions are the Kernel's for apply and watch from this source,
// and, when they differ from the default, why. Where systemd-networkd
// installs the same routes (a podroutes drop-in in one of its
// directories, or --networkd-dropin), the two must be the same route to
// the kernel, or networkd adds its own beside podroutes': a route through
// a nexthop object is another than one that carries its gateway, as
// networkd's do. So podroutes writes them inline too.
func (o *sourceOptions) kernelOptions() (kernel.Options, string) {
	if o.dropIns != "" {
		return kernel.Options{Inline: true}, "--networkd-dropin: routes carry their gateway, as systemd-networkd's do"
	}
	if path, ok := networkd.Find(); ok {
		return kernel.Options{Inline: true}, fmt.Sprintf("systemd-networkd installs these routes too (%s): they carry their gateway, as networkd's do", path)
	}
	return kernel.Options{}, ""
}

// dropInDrift is networkd.FindDrift for this source's config, as check
// and each (re)load of apply and watch look: the Nodes have no drop-in.
func (s *source) dropInDrift(cfg config.Config) []string {
	if s.perNode() {
		return nil
	}
	return networkd.FindDrift(cfg)
}

// dropIn installs n's networkd drop-in and, when it changed, has networkd
// reload (networkd.Update). A dry run prints what it would change
// instead.
func (s *source) dropIn(n plan.Node, log *notify.Logger) error {
	if s.dryRun != nil {
		c, err := networkd.Plan(s.o.dropIns, n.Config, n.NetworkFile, s.path)
		if err != nil {
			return err
		}
		return c.Print(s.dryRun)
	}
	networkd.Update(log, s.o.dropIns, n.Config, n.NetworkFile, s.path)
	return nil
}

// plan plans this host's routes from inv.
func (s *source) plan(ctx context.Context, inv inventory.Inventory, local thisHost, log *notify.Logger) (plan.Node, error) {
	self, err := s.self(ctx, inv, local, log)
	if err != nil {
		return plan.Node{}, err
	}
	return s.o.planSelf(inv, self)
}

// planSelf plans the routes of host self of inv, as `gen --node` does.
func (o *sourceOptions) planSelf(inv inventory.Inventory, self string) (plan.Node, error) {
	nodes, err := plan.Stream(inv, plan.Options{Only: []string{self}, NetworkFile: o.networkFile})
	if err != nil {
		return plan.Node{}, inputError(err)
	}
	for n := range nodes {
		return n, nil
	}
	return plan.Node{}, inputError(fmt.Errorf("%s: no plan for %s", inv.Source, self))
}

// thisHost reads what says which host of an inventory this is: the
// host's links with their addresses, and its hostname.
type thisHost func() (links []gateway.Link, hostname string, err error)

// self finds this host in inv (plan.Self), the address first. When no
// host has one of this host's addresses, it waits up to s.wait for an
// address change and looks again: at boot the uplink, whose address says
// which host this is, may come up late, and a hostname taken before it
// would plan another host's routes when the address says otherwise. So
// the host whose name is the hostname is taken only when the wait ends
// with no address found.
func (s *source) self(ctx context.Context, inv inventory.Inventory, local thisHost, log *notify.Logger) (string, error) {
	var changes <-chan struct{}
	if s.wait > 0 && s.changes != nil {
		done := make(chan struct{})
		defer close(done)
		var err error
		if changes, err = s.changes(done); err != nil {
			return "", failure(fmt.Errorf("watching this host's addresses: %w", err))
		}
	}
	deadline := time.NewTimer(s.wait)
	defer deadline.Stop()
	for told := false; ; told = true {
		links, host, err := local()
		if err != nil {
			return "", failure(fmt.Errorf("listing this host's addresses: %w", err))
		}
		found, err := plan.Self(inv, s.o.node, addrsOf(links), host)
		byName := err == nil && found.How == plan.ByHostname
		if changes == nil || !byName && !errors.Is(err, plan.ErrNotFound) {
			if err != nil {
				s.identity = ""
				return "", inputError(err)
			}
			if line := identified(inv, found, links, host); line != s.identity {
				log.Infof("%s", line)
				s.identity = line
			}
			return found.Name, nil
		}
		if !told {
			msg := fmt.Sprintf("waiting up to %s for an address that says which host of %s this is", s.wait, inv.Source)
			if byName {
				msg += fmt.Sprintf(" (its hostname says %s)", found.Name)
			}
			log.Infof("%s", msg)
		}
		select {
		case <-ctx.Done():
			return "", failure(fmt.Errorf("stopped waiting for an address that says which host of %s this is: %w", inv.Source, ctx.Err()))
		case <-deadline.C:
			changes = nil // one last look, then the hostname or the error
		case _, ok := <-changes:
			if !ok {
				changes = nil
			}
		}
	}
}

// identified says which host of inv this is, and what said so: the
// address and its link, the hostname, or --node.
func identified(inv inventory.Inventory, found plan.Found, links []gateway.Link, hostname string) string {
	by := "by --node"
	switch found.How {
	case plan.ByAddr:
		by = "by address " + found.Addr.String()
		for _, l := range links {
			if slices.ContainsFunc(l.Prefixes, func(p netip.Prefix) bool { return p.Addr() == found.Addr }) {
				by += " on " + l.Name
				break
			}
		}
	case plan.ByHostname:
		by = "by hostname " + hostname
	}
	return fmt.Sprintf("this host is %s of %s (%s)", found.Name, inv.Source, by)
}

// addrsOf are the addresses of links.
func addrsOf(links []gateway.Link) []netip.Addr {
	var addrs []netip.Addr
	for _, l := range links {
		for _, p := range l.Prefixes {
			addrs = append(addrs, p.Addr())
		}
	}
	return addrs
}

// read reads and checks the inventory; every problem is bad input. Root
// reads it as it reads routes.yaml: only a file no other user could have
// written (trusted).
func (o *inventoryOptions) read(stdin io.Reader, trusted bool) (inventory.Inventory, error) {
	if o.path == "" {
		return inventory.Inventory{}, inputError(errors.New("missing --inventory FILE: machines.txt, a YAML inventory or `kubectl get nodes -o json` output (- for stdin)"))
	}
	format, err := inventory.ParseFormat(o.format)
	if err != nil {
		return inventory.Inventory{}, inputError(err)
	}
	data, err := infile.Read(o.path, infile.Options{What: "inventory", Max: inventory.MaxSize, Stdin: stdin, Trusted: trusted})
	if err != nil {
		return inventory.Inventory{}, inputError(err)
	}
	inv, err := inventory.Parse(o.path, data, format)
	if err != nil {
		// A routes.yaml given as the inventory fails on every line;
		// saying what the file is helps more than those lines.
		if cfg, cerr := config.Parse(o.path, data); cerr == nil {
			err = fmt.Errorf("%s: a routes.yaml (the routes of %s, as podroutes gen writes them), not an inventory: "+
				"apply, check, remove and watch read it with --config", o.path, cfg.Node)
		}
		return inventory.Inventory{}, inputError(err)
	}
	return inv, nil
}

// loadConfig loads the config; every problem with it is bad input.
func loadConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err == nil {
		return cfg, nil
	}
	// An inventory given as routes.yaml (or installed as it) fails as a
	// whole; saying what the file is helps more. Read as an inventory is
	// read, so that a file refused (not root's) stays refused.
	inv := inventoryOptions{path: path}
	if other, ierr := inv.read(nil, infile.AsRoot()); ierr == nil {
		hint := "give it with --inventory"
		if path == config.DefaultPath {
			hint = "install it as " + defaultInventory + " instead"
		}
		err = fmt.Errorf("%s: an inventory (%s), not a routes.yaml: %s", path, diag.Count(len(other.Hosts), "host"), hint)
	}
	return config.Config{}, inputError(err)
}
