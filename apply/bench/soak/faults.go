package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/podroutes/podroutes/apply/tunnel"
)

// A fault breaks something on the lab and says what, for the schedule.
type fault struct {
	kind string
	do   func(ctx context.Context, l *lab, r *rand.Rand) (string, error)
}

// hostFaults befall a host whatever its source; each source adds its own.
var hostFaults = []fault{
	{"flap", flap},
	{"delroute", delRoute},
	{"foreign", foreign},
	{"move", move},
	{"pods", pods},
	{"bird", bird},
	{"kill", kill},
}

// faultsOf is the faults of a lab of this source (inventory or kube).
func faultsOf(source string) []fault {
	switch source {
	case kubeSourceName:
		return append(slices.Clone(hostFaults), fault{"nodes", nodes}, fault{"apiserver", apiserver})
	case segmentsSourceName:
		return append(slices.Clone(hostFaults), fault{"inventory", inventory},
			fault{"segment", segment}, fault{"deltunnel", delTunnel}, fault{"flushtunnel", flushTunnel})
	}
	return append(slices.Clone(hostFaults), fault{"inventory", inventory})
}

func pick(l *lab, r *rand.Rand) *host { return l.hosts[r.IntN(len(l.hosts))] }

// flap takes a host's eth0 down and up again.
func flap(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	down := time.Duration(50+r.IntN(500)) * time.Millisecond
	if err := ip(h.ns, "link", "set", "eth0", "down"); err != nil {
		return "", err
	}
	time.Sleep(down)
	if err := ip(h.ns, "link", "set", "eth0", "up"); err != nil {
		return "", err
	}
	return fmt.Sprintf("flap %s eth0 down for %v", h.name, down), l.underlay(h)
}

// delRoute deletes one of podroutes' routes, as another process would.
func delRoute(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	routes, err := kernelRoutes(h.ns)
	if err != nil {
		return "", err
	}
	var own []kroute
	for _, k := range routes {
		if k.Protocol == ownProto {
			own = append(own, k)
		}
	}
	if len(own) == 0 {
		return fmt.Sprintf("delroute %s: none of podroutes' routes to delete", h.name), nil
	}
	k := own[r.IntN(len(own))]
	return fmt.Sprintf("delroute %s %s via %s", h.name, k.Dst, k.Gateway),
		// Not by its gateway: podroutes writes it through a nexthop
		// object, which a delete naming the gateway does not match.
		ip(h.ns, "route", "del", k.Dst, "proto", ownProto, "metric", fmt.Sprint(k.Metric))
}

// foreign adds another owner's route at a destination the host wants, or
// removes one it added before.
func foreign(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	if held := sortedKeys(h.foreign); len(held) > 0 && r.IntN(2) == 0 {
		d := held[r.IntN(len(held))]
		delete(h.foreign, d)
		return fmt.Sprintf("foreign %s: removed static %s", h.name, d), ip(h.ns, "route", "del", d, "via", auxGW, "dev", "aux0",
			"proto", foreignProto, "metric", fmt.Sprint(foreignMetric))
	}
	inv, err := l.expected()
	if err != nil {
		return "", err
	}
	var free []string
	for _, d := range sortedKeys(wanted(inv, h.addr)) {
		if !h.foreign[d] {
			free = append(free, d)
		}
	}
	if len(free) == 0 {
		return fmt.Sprintf("foreign %s: every destination held already", h.name), nil
	}
	d := free[r.IntN(len(free))]
	h.foreign[d] = true
	return fmt.Sprintf("foreign %s: added %s via %s dev aux0 proto static metric %d", h.name, d, auxGW, foreignMetric),
		ip(h.ns, "route", "add", d, "via", auxGW, "dev", "aux0", "proto", foreignProto, "metric", fmt.Sprint(foreignMetric))
}

// move puts the host's uplink address on a bridge br-up with eth0 as its
// port, or back on eth0, as a host turned into a VM host would be.
func move(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	a := h.addr + "/24"
	var steps [][]string
	if !h.moved {
		steps = [][]string{
			{"link", "add", "br-up", "type", "bridge"},
			{"link", "set", "br-up", "up"},
			{"addr", "del", a, "dev", "eth0"},
			{"link", "set", "eth0", "master", "br-up"},
			{"addr", "add", a, "dev", "br-up"},
		}
	} else {
		steps = [][]string{
			{"addr", "del", a, "dev", "br-up"},
			{"link", "set", "eth0", "nomaster"},
			{"link", "del", "br-up"},
			{"addr", "add", a, "dev", "eth0"},
		}
	}
	for _, s := range steps {
		if err := ip(h.ns, s...); err != nil {
			return "", err
		}
	}
	h.moved = !h.moved
	if err := l.underlay(h); err != nil {
		return "", err
	}
	if h.moved {
		return fmt.Sprintf("move %s: %s to bridge br-up", h.name, a), nil
	}
	return fmt.Sprintf("move %s: %s back to eth0", h.name, a), nil
}

// pods creates a burst of pod veths on cni0, then deletes them, as a
// bridge CNI does (both ends stay in the host: only the host's links count).
func pods(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	n := 5 + r.IntN(40)
	var add, del bytes.Buffer
	for i := range n {
		fmt.Fprintf(&add, "link add vp%d type veth peer name vq%d\nlink set vp%d master cni0 up\nlink set vq%d up\n", i, i, i, i)
		fmt.Fprintf(&del, "link del vp%d\n", i)
	}
	if err := batch(h.ns, add.Bytes()); err != nil {
		return "", err
	}
	time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
	return fmt.Sprintf("pods %s: %d veths created and deleted", h.name, n), batch(h.ns, del.Bytes())
}

// bird adds thousands of another owner's unrelated routes, or deletes the
// ones it added.
func bird(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	verb, n := "add", 1000+r.IntN(4000)
	if h.bird > 0 {
		verb, n = "del", h.bird
	}
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "route %s 11.%d.%d.%d/32 via %s dev aux0 proto bird\n", verb, i>>16, i>>8&255, i&255, auxGW)
	}
	if err := batch(h.ns, b.Bytes()); err != nil {
		return "", err
	}
	if verb == "add" {
		h.bird = n
		return fmt.Sprintf("bird %s: added %d routes", h.name, n), nil
	}
	h.bird = 0
	return fmt.Sprintf("bird %s: deleted %d routes", h.name, n), nil
}

// A change of the cluster's nodes: one joins, leaves or is re-addressed.
type change struct {
	op   int // joins, leaves or readdressed
	name string
	what string // for the schedule
}

const (
	joins = iota
	leaves
	readdressed
)

// churn changes the nodes without a host behind them (joiners): one joins
// (while there are fewer than 4), leaves or takes a new address. Both
// variants publish it their way: an inventory rewritten, or Nodes.
func (l *lab) churn(r *rand.Rand) change {
	names := sortedKeys(l.joiners)
	switch c := r.IntN(3); {
	case len(names) == 0 || (c == 0 && len(names) < 4):
		name := fmt.Sprintf("joiner-%d", l.nextName)
		l.nextName++
		l.joiners[name] = node{addr: l.free(l.joinerAddr),
			subnet: l.free(func(i int) string { return fmt.Sprintf("10.201.%d.0/24", i%250) })}
		return change{joins, name, fmt.Sprintf("%s joins at %s", name, l.joiners[name].addr)}
	case c == 1:
		name := names[r.IntN(len(names))]
		delete(l.joiners, name)
		return change{leaves, name, name + " leaves"}
	default:
		name := names[r.IntN(len(names))]
		j := l.joiners[name]
		j.addr = l.free(l.joinerAddr)
		l.joiners[name] = j
		return change{readdressed, name, fmt.Sprintf("%s re-addressed to %s", name, j.addr)}
	}
}

// inventory rewrites the shared inventory (a node joins, leaves or is
// re-addressed) and reloads every watcher with SIGHUP, as an operator
// would: watch reads the inventory again on SIGHUP only (it watches no
// file).
func inventory(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	c := l.churn(r)
	if err := l.writeInventory(); err != nil {
		return "", err
	}
	if err := l.reload(); err != nil {
		return "", err
	}
	return "inventory: " + c.what + ", SIGHUP to every watcher", nil
}

// reload sends every watcher SIGHUP.
func (l *lab) reload() error {
	for _, h := range l.hosts {
		if err := h.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			return fmt.Errorf("%s: SIGHUP: %w", h.name, err)
		}
	}
	return nil
}

// joinerAddr is the i-th address a joiner may take: on uplinkNet, or in
// the segments lab on either segment, so that a re-addressed joiner may
// move across them.
func (l *lab) joinerAddr(i int) string {
	seg := 0
	if l.source == segmentsSourceName {
		seg = i % 2
	}
	return fmt.Sprintf("%s.%d", segNets[seg], 100+i%150)
}

// free is the first of f(nextJ), f(nextJ+1)... no joiner uses, as its
// address or subnet: an inventory with one twice is bad input, not a fault.
func (l *lab) free(f func(int) string) string {
	for {
		v := f(l.nextJ)
		l.nextJ++
		used := false
		for _, j := range l.joiners {
			used = used || j.addr == v || j.subnet == v
		}
		if !used {
			return v
		}
	}
}

// kill ends a watcher with SIGKILL and starts it again, as systemd's
// Restart= would.
func kill(ctx context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	if err := h.kill(); err != nil {
		return "", err
	}
	return fmt.Sprintf("kill %s: SIGKILL, restarted", h.name), l.startWatch(ctx, h)
}

// segment moves a host of the segments lab to the other segment, as an
// operator would: its address taken off, its eth0 re-plugged into the
// other segment's switch, the other segment's address (same host part)
// and default route put on, then the inventory rewritten with the new
// address and every watcher reloaded.
func segment(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	from, to := h.seg, 1-h.seg
	old, addr := h.addr, fmt.Sprintf("%s.%d", segNets[to], 10+h.index)
	for _, s := range [][]string{
		{h.ns, "addr", "del", old + "/24", "dev", h.dev()},
		{l.lans[from], "link", "set", h.port, "netns", l.lans[to]},
		{l.lans[to], "link", "set", h.port, "master", "br0", "up"},
		{h.ns, "addr", "add", addr + "/24", "dev", h.dev()},
	} {
		if err := ip(s[0], s[1:]...); err != nil {
			return "", err
		}
	}
	h.addr, h.seg = addr, to
	if err := l.underlay(h); err != nil {
		return "", err
	}
	if err := l.writeInventory(); err != nil {
		return "", err
	}
	if err := l.reload(); err != nil {
		return "", err
	}
	return fmt.Sprintf("segment %s: %s moved to segment %d as %s, inventory rewritten, SIGHUP to every watcher", h.name, old, to, addr), nil
}

// delTunnel deletes a host's tunnel device, as another process (or an
// operator cleaning up) would; its entries and routes go with it.
func delTunnel(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	h := pick(l, r)
	if !linkExists(h.ns, tunnel.Name) {
		return fmt.Sprintf("deltunnel %s: no %s to delete", h.name, tunnel.Name), nil
	}
	return fmt.Sprintf("deltunnel %s: %s deleted", h.name, tunnel.Name), ip(h.ns, "link", "del", tunnel.Name)
}

// flushTunnel deletes every neighbour and FDB entry of a host's tunnel
// device, the device and its routes left.
func flushTunnel(_ context.Context, l *lab, r *rand.Rand) (string, error) {
	return flushTunnelOn(pick(l, r))
}

func flushTunnelOn(h *host) (string, error) {
	if !linkExists(h.ns, tunnel.Name) {
		return fmt.Sprintf("flushtunnel %s: no %s", h.name, tunnel.Name), nil
	}
	fdb, err := tunnelFDB(h.ns)
	if err != nil {
		return "", err
	}
	if err := ip(h.ns, "neigh", "flush", "dev", tunnel.Name, "nud", "all"); err != nil {
		return "", err
	}
	var b bytes.Buffer
	for _, e := range fdb {
		fmt.Fprintf(&b, "fdb del %s dev %s dst %s\n", e.MAC, tunnel.Name, e.Dst)
	}
	// bridge -batch -force: an entry gone already (the device deleted
	// and made again meanwhile) is no fault of the soak's.
	cmd := exec.Command("bridge", "-n", h.ns, "-force", "-batch", "-")
	cmd.Stdin = &b
	_ = cmd.Run()
	return fmt.Sprintf("flushtunnel %s: neighbour entries and %d FDB entries flushed", h.name, len(fdb)), nil
}
