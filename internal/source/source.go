// Package source says where this host's wanted routes come from: its
// routes.yaml, an inventory every host shares (this host found in it, at
// boot after waiting for the address that says which host it is), or the
// Nodes of a Kubernetes API server, followed. Open builds a Source from
// Options; a Source gives the first config (First), the config again at a
// reload (Reload) and, from the Nodes, the configs that follow (Follow).
// Its options are never changed after Open.
package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/infile"
	"github.com/podroutes/podroutes/internal/notify"
	"github.com/podroutes/podroutes/internal/valid"
)

// DefaultInventory is the inventory a host shares with every other host,
// read when it has no routes.yaml of its own.
const DefaultInventory = "/etc/podroutes/inventory"

// Options say where this host's routes come from: its routes.yaml
// (Config), or an inventory every host shares (Inventory) or the Nodes of
// a Kubernetes API server (Kubeconfig), which this host is found in (Node,
// else by address, else by name) and planned from as `gen --node` plans
// it. With none, /etc/podroutes/routes.yaml when it exists wins, else
// /etc/podroutes/inventory.
type Options struct {
	Config          string
	Inventory       string
	InventoryFormat string
	Kubeconfig      string
	Node            string
	NetworkFile     string
	// OffLink is --off-link as written ("none", "vxlan"; "" is none):
	// what the plan does with peers on no link of this host, for the
	// inventories that cannot say (config.ParseOffLink).
	OffLink string
}

// planOptions are the plan's options for hosts only (nil: every host):
// the network file and --off-link, parsed by Open.
func (o Options) planOptions(only []string) plan.Options {
	mode, _ := config.ParseOffLink(cmp.Or(o.OffLink, "none"))
	return plan.Options{Only: only, NetworkFile: o.NetworkFile, OffLink: mode}
}

// offLink checks --off-link: a known mode, and not with routes.yaml,
// which says it with its own offLink: (file is the routes.yaml, when one).
func (o Options) offLink(file string) error {
	if o.OffLink == "" {
		return nil
	}
	if _, msg := config.ParseOffLink(o.OffLink); msg != "" {
		return inputError(fmt.Errorf("--off-link: %s", msg))
	}
	if file != "" && o.OffLink != "none" {
		return inputError(fmt.Errorf("--off-link: %s is a routes.yaml, which says it itself (offLink: %s)", file, o.OffLink))
	}
	return nil
}

// Source is where this host's routes come from, read and checked.
type Source struct {
	o    Options
	path string               // the file, for messages
	inv  *inventory.Inventory // from an inventory
	cfg  *config.Config       // from routes.yaml
	kube *kubeSource          // from the Nodes (Kubeconfig)

	// mu guards what loading changes: watch's reload and the Nodes'
	// updates load on goroutines of their own.
	mu sync.Mutex
	// read: inv or cfg was just read by Open; the first load takes it,
	// the next reads the file again (a reload).
	read bool
	// identity is which host this is, and by what, as logged last: the
	// line is logged when it changes, not at each reload or update.
	identity string
}

// Host is the host the routes are for, as a source looks at it.
type Host struct {
	// Local reads what says which host of an inventory this is: the
	// host's links with their addresses, and its hostname.
	Local func() (links []gateway.Link, hostname string, err error)
	// Changes, if set, signals address changes until done is closed:
	// First waits up to Wait for an address that says which host this is.
	Changes func(done <-chan struct{}) (<-chan struct{}, error)
	// Wait bounds, at First, the wait for that address (boot: the uplink
	// may come up late).
	Wait time.Duration
	Log  *notify.Logger
	// Metrics, if set, is told how many Nodes are routed and whether the
	// API server answers (Kubeconfig).
	Metrics NodeMetrics
}

// NodeMetrics is what the metrics say of the Kubernetes source.
type NodeMetrics interface {
	Nodes(routed, notRouted int)
	Answering(up bool)
}

// Open decides where the routes come from and reads that file: every
// problem with it, anywhere in it, is bad input (IsInput), found before
// anything is written.
func Open(o Options) (*Source, error) {
	if err := o.Exclusive(); err != nil {
		return nil, err
	}
	if msg := valid.NetworkFile(o.NetworkFile); msg != "" {
		return nil, inputError(fmt.Errorf("--network-file: %s", msg))
	}
	if err := o.offLink(""); err != nil {
		return nil, err
	}
	if o.Kubeconfig != "" {
		k, err := openKube(o.Kubeconfig)
		return &Source{o: o, path: o.Kubeconfig, kube: k}, err
	}
	s := &Source{o: o, path: o.Config}
	switch {
	case o.Inventory != "":
		s.path = o.Inventory
	case o.Config != "":
	default:
		path, err := defaultSource(config.DefaultPath, DefaultInventory)
		if err != nil {
			return nil, err
		}
		s.path = path
	}
	if s.path == o.Config || s.path == config.DefaultPath {
		if err := o.offLink(s.path); err != nil {
			return nil, err
		}
		c, err := loadConfig(s.path)
		s.cfg, s.read = &c, true
		return s, err
	}
	s.o.Inventory = s.path
	inv, err := ReadInventory(s.path, o.InventoryFormat, nil, infile.AsRoot())
	s.inv, s.read = &inv, true
	return s, err
}

// Exclusive refuses, as bad input, options naming more than one source.
func (o Options) Exclusive() error {
	if o.Config != "" && o.Inventory != "" {
		return inputError(errors.New("--config and --inventory exclude each other"))
	}
	if o.Kubeconfig != "" && (o.Config != "" || o.Inventory != "") {
		return inputError(errors.New("--kubeconfig excludes --config and --inventory"))
	}
	return nil
}

// DropInExcludes refuses, as bad input, this host's networkd drop-in
// written into dir (--networkd-dropin, "": none) with a source it does not
// fit. --kubeconfig: the drop-in would change, and `networkctl reload`
// reconfigure the uplink, with every Node that joins, leaves or moves; the
// watcher puts the routes back after networkd drops them instead.
// --config: that routes.yaml's drop-in is gen's, installed with it. When
// routes.yaml is the default (networkd.conf, the same on every host, passes
// the flag), it is not refused but said (networkd.NoneWritten).
func (o Options) DropInExcludes(dir string) error {
	switch {
	case dir == "":
	case o.Kubeconfig != "":
		return inputError(errors.New("--networkd-dropin excludes --kubeconfig: the drop-in, and networkd's reload of the uplink, " +
			"would follow every Node that joins, leaves or moves; without it, watch puts the routes back after networkd drops them"))
	case o.Config != "":
		return inputError(errors.New("--networkd-dropin excludes --config: a routes.yaml's drop-in is gen's, " +
			"installed with it into /etc/systemd/network; --networkd-dropin writes one from --inventory"))
	}
	return nil
}

// Path is the file the routes come from (routes.yaml, the inventory or
// the kubeconfig), for messages.
func (s *Source) Path() string { return s.path }

// Routes reports whether the routes come from a routes.yaml, as they are,
// rather than planned from an inventory or the Nodes.
func (s *Source) Routes() bool { return s.cfg != nil }

// PerNode reports whether the config's routes are judged one by one, a
// route the host's links make wrong left out (apply.Options.LeaveOut):
// those of the Nodes of the API are, each Node an input of its own that
// must not hold up the others; a file is judged, and refused, as a whole.
func (s *Source) PerNode() bool { return s.kube != nil }

// First returns this host's config as the command starts: the file Open
// read, or this host's plan from it or from the Nodes (listed once unless
// Follow listed them), waiting up to h.Wait for the address that says
// which host this is. The node's NetworkFile says which .network file
// its drop-in extends; from a routes.yaml, only its Config is set.
func (s *Source) First(ctx context.Context, h Host) (plan.Node, error) {
	if err := s.listOnce(ctx, h); err != nil {
		return plan.Node{}, err
	}
	return s.load(ctx, h, h.Wait)
}

// Reload returns this host's config again (SIGHUP): the file read again,
// or planned from the Nodes listed last; this host is found at once, or
// it says why not.
func (s *Source) Reload(ctx context.Context, h Host) (plan.Node, error) {
	return s.load(ctx, h, 0)
}

// load returns this host's config: routes.yaml, or the inventory's plan
// for this host, found among its hosts with the host's addresses and
// name; reading the file again each time (a reload), or planning from
// the Nodes listed last.
func (s *Source) load(ctx context.Context, h Host, wait time.Duration) (plan.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.kube != nil:
		return s.kube.plan(ctx, s, h, wait)
	case s.inv == nil:
		if s.read {
			s.read = false
			return plan.Node{Config: *s.cfg}, nil
		}
		cfg, err := loadConfig(s.path)
		return plan.Node{Config: cfg}, err
	}
	if !s.read {
		inv, err := ReadInventory(s.o.Inventory, s.o.InventoryFormat, nil, infile.AsRoot())
		if err != nil {
			return plan.Node{}, err
		}
		s.inv = &inv
	}
	s.read = false
	self, err := s.self(ctx, *s.inv, h, wait)
	if err != nil {
		return plan.Node{}, err
	}
	return s.planSelf(*s.inv, self)
}

// Local reads, from k, what says which host of an inventory this is
// (Host.Local): the host's links with their addresses as the kernel has
// them now (kernel.Kernel.ReadLinks, not a watcher's event-kept Links: a
// SIGHUP taken before the event of the address just added found no host
// and kept the old config), and its hostname.
func Local(k interface {
	ReadLinks() ([]gateway.Link, error)
}) func() ([]gateway.Link, string, error) {
	return func() ([]gateway.Link, string, error) {
		links, err := k.ReadLinks()
		h, _ := os.Hostname()
		return links, h, err
	}
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

// ReadInventory reads and checks the inventory at path (- for stdin) in
// format (inventory.ParseFormat); every problem is bad input. Root reads
// it as it reads routes.yaml: only a file no other user could have
// written (trusted).
func ReadInventory(path, format string, stdin io.Reader, trusted bool) (inventory.Inventory, error) {
	if path == "" {
		return inventory.Inventory{}, inputError(errors.New("missing --inventory FILE: machines.txt, a YAML inventory or `kubectl get nodes -o json` output (- for stdin)"))
	}
	f, err := inventory.ParseFormat(format)
	if err != nil {
		return inventory.Inventory{}, inputError(err)
	}
	data, err := infile.Read(path, infile.Options{What: "inventory", Max: inventory.MaxSize, Stdin: stdin, Trusted: trusted})
	if err != nil {
		return inventory.Inventory{}, inputError(err)
	}
	inv, err := inventory.Parse(path, data, f)
	if err != nil {
		// A routes.yaml given as the inventory fails on every line;
		// saying what the file is helps more than those lines.
		if cfg, cerr := config.Parse(path, data); cerr == nil {
			err = fmt.Errorf("%s: a routes.yaml (the routes of %s, as podroutes gen writes them), not an inventory: "+
				"apply, check, remove and watch read it with --config", path, cfg.Node)
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
	if other, ierr := ReadInventory(path, "", nil, infile.AsRoot()); ierr == nil {
		hint := "give it with --inventory"
		if path == config.DefaultPath {
			hint = "install it as " + DefaultInventory + " instead"
		}
		err = fmt.Errorf("%s: an inventory (%s), not a routes.yaml: %s", path, diag.Count(len(other.Hosts), "host"), hint)
	}
	return config.Config{}, inputError(err)
}
