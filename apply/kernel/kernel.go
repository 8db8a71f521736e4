// Package kernel is podroutes' rtnetlink side: the main routing table as a
// reconcile.Kernel whose routes go through nexthop objects, written in
// pipelined batches on one raw socket; and the links and addresses as a
// gateway.Source, through a netlink handle.
package kernel

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/podroutes/podroutes/apply/gateway"
	"github.com/podroutes/podroutes/internal/logs"
	"github.com/podroutes/podroutes/internal/nldump"
)

// Kernel is one network namespace's routes, links and addresses. It is not
// safe for concurrent use.
type Kernel struct {
	o  Options
	h  *netlink.Handle
	c  *conn          // routes and nexthops
	ns netns.NsHandle // the namespace, for subscriptions
	nh nexthops
	// links are the links as of the last Links, or nil: nexthop objects
	// for routes without a device go on the link whose subnet holds the
	// gateway. Routes clears them, unless fresh.
	links []gateway.Link
	// fresh: links, index and name come from a Links call no Routes has
	// followed yet. That Routes (apply's, right after the wait for the
	// gateways) keeps them rather than dumping the links again: on a node
	// with a veth per pod, each dump is hundreds of links.
	fresh bool
	// index and name map links both ways, as of the last dump.
	index map[string]int
	name  map[int]string
	// said are the lines logOnce logged.
	said map[string]bool
	// at is the position of each link index in links.
	at map[int]int
	// observing: a watcher has Events and gives each to Observe, so that
	// links is kept up to date and need not be dumped again.
	observing bool
	// refusing: a watcher's routes of the types lookups cannot see.
	refusing refusing
}

// Options tune a Kernel.
type Options struct {
	// Log gets the Kernel's own notes, each once (the kernel refuses
	// nexthop objects, or strict checking).
	Log logs.Logger
	// FullDumps reads the whole routing table, as on a kernel that refuses
	// strict checking, and picks podroutes' routes out of it: for kernels
	// whose filtering misbehaves, and for tests that hold the two paths to
	// the same verdicts.
	FullDumps bool
	// Inline writes every route with its gateway, as on a kernel without
	// nexthop objects (before Linux 5.3): where systemd-networkd installs
	// the same routes (podroutes' drop-in), which it adopts only when
	// they are the same to the kernel, and for tests that hold that path
	// to the same verdicts.
	Inline bool
}

// Open returns the Kernel of the calling thread's network namespace with
// default Options (OpenWith).
func Open() (*Kernel, error) { return OpenWith(Options{}) }

// OpenWith returns the Kernel of the calling thread's network namespace:
// the host's, or a test's (opened inside it). It keeps a handle on that
// namespace, so that the subscriptions Events and Subscribe open later, on
// whatever thread, listen there too.
func OpenWith(o Options) (*Kernel, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("opening the network namespace: %w", err)
	}
	// The sockets are opened where the thread is, without setns(2): a
	// hardened unit (no CAP_SYS_ADMIN, RestrictNamespaces=) may not.
	h, err := netlink.NewHandleAt(netns.None(), netlink.FAMILY_ALL)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("opening rtnetlink: %w", err)
	}
	c, err := dial(netns.None())
	if err != nil {
		h.Close()
		ns.Close()
		return nil, err
	}
	return &Kernel{h: h, c: c, ns: ns, o: o}, nil
}

// here is k's namespace for a socket opened now: netns.None(), no
// setns(2), when the calling thread is in it already (always, outside
// tests, where a namespace is entered by one thread only).
func (k *Kernel) here() netns.NsHandle {
	cur, err := netns.Get()
	if err != nil {
		return k.ns
	}
	defer cur.Close()
	if cur.Equal(k.ns) {
		return netns.None()
	}
	return k.ns
}

// strict reports whether the kernel filters dumps for podroutes.
func (k *Kernel) strict() bool { return k.c.strict && !k.o.FullDumps }

// Inline reports whether k writes routes with their gateways: by
// Options.Inline, or having no nexthop objects (as of the last read of
// the table). The plan made from that read needs it (Plan.Inline).
// Options.Inline still reads and prunes podroutes' nexthop objects: those
// an earlier run made go once no route uses them.
func (k *Kernel) Inline() bool { return k.o.Inline || k.nh.off != nil }

// Close releases the netlink sockets and the namespace handle.
func (k *Kernel) Close() {
	k.c.close()
	k.h.Close()
	k.ns.Close()
}

// dump runs f, a netlink dump, again while the kernel interrupts it
// (nldump.Retry).
func dump(f func() error) error { return nldump.Retry(f) }

// refreshLinks dumps the links and remembers their names and indexes.
func (k *Kernel) refreshLinks() ([]netlink.Link, error) {
	links, err := k.listLinks()
	if err != nil {
		return nil, err
	}
	k.index = make(map[string]int, len(links))
	k.name = make(map[int]string, len(links))
	for _, l := range links {
		a := l.Attrs()
		k.index[a.Name] = a.Index
		k.name[a.Index] = a.Name
	}
	return links, nil
}

// listLinks dumps the links.
func (k *Kernel) listLinks() ([]netlink.Link, error) {
	var links []netlink.Link
	err := dump(func() (err error) {
		links, err = k.h.LinkList()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	return links, nil
}

// linkIndex is the index of the link named dev, 0 for "".
func (k *Kernel) linkIndex(dev string) (int, error) {
	if dev == "" {
		return 0, nil
	}
	if i, ok := k.index[dev]; ok {
		return i, nil
	}
	if _, err := k.refreshLinks(); err != nil {
		return 0, err
	}
	if i, ok := k.index[dev]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("no link named %q", dev)
}
