package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/apply/tunnel"
)

// The expectation, computed here from the inventory and the kernel alone,
// never from podroutes' code: a host wants every other node's pod subnet
// via that node's address, through the link that holds the host's own
// address. In the segments lab, a peer whose address is outside the
// host's segment (by the lab's layout, not by podroutes' reading of the
// links) goes through the tunnel instead: `DST via <DST's network address>
// dev podroutes-vx onlink`, a permanent neighbour entry for that address
// with the MAC every host derives from the peer's address (tunnel.MAC, the
// shared rule), and an FDB entry sending that MAC to the peer's address.

// readInventory parses machines.txt (IP FQDN HOSTNAME [POD_SUBNET], #
// comments) into nodes by name.
func readInventory(path string) (map[string]node, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nodes := map[string]node{}
	for n, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 || len(f) > 4 {
			return nil, fmt.Errorf("%s:%d: want IP FQDN HOSTNAME [POD_SUBNET]", path, n+1)
		}
		nd := node{addr: f[0]}
		if len(f) == 4 {
			nd.subnet = f[3]
		}
		nodes[f[2]] = nd
	}
	return nodes, nil
}

// expected is the nodes the lab's hosts should route: the inventory file
// read back, or the Nodes the soak created (each Node's name, InternalIP
// and podCIDR as it created or last patched them).
func (l *lab) expected() (map[string]node, error) {
	if l.kube == nil && l.source != segmentsSourceName {
		return readInventory(l.inv)
	}
	nodes := map[string]node{}
	for _, h := range l.hosts {
		nodes[h.name] = node{addr: h.addr, subnet: podSubnet(h.index)}
	}
	for name, j := range l.joiners {
		nodes[name] = j
	}
	return nodes, nil
}

// wanted is the routes the host at addr wants: destination to gateway.
func wanted(inv map[string]node, addr string) map[string]string {
	w := map[string]string{}
	for _, nd := range inv {
		if nd.addr != addr && nd.subnet != "" {
			w[nd.subnet] = nd.addr
		}
	}
	return w
}

// kroute is a route of `ip -j -N route show table main`.
type kroute struct {
	Dst      string `json:"dst"`
	Gateway  string `json:"gateway"`
	Dev      string `json:"dev"`
	Protocol string `json:"protocol"`
	Metric   int    `json:"metric"`
	Onlink   bool   `json:"-"` // from flags
}

func (k kroute) String() string {
	return fmt.Sprintf("%s via %s dev %s proto %s metric %d%s", k.Dst, k.Gateway, k.Dev, k.Protocol, k.Metric, cond(k.Onlink, " onlink", ""))
}

// offSegment says whether peer is outside h's segment: reached through the
// tunnel in the segments lab. Never in the other labs.
func (h *host) offSegment(peer string) bool {
	return h.offLink && !segPrefix(h.seg).Contains(netip.MustParseAddr(peer))
}

// path is the route h wants to pod subnet dst of the peer at addr: direct
// through dev, or through the tunnel.
func (h *host) path(dst, peer, dev string) kroute {
	if h.offSegment(peer) {
		return kroute{Dst: dst, Gateway: inner(dst), Dev: tunnel.Name, Protocol: ownProto, Metric: 100, Onlink: true}
	}
	return kroute{Dst: dst, Gateway: peer, Dev: dev, Protocol: ownProto, Metric: 100}
}

// inner is a pod subnet's network address, its next hop in the tunnel.
func inner(dst string) string { return netip.MustParsePrefix(dst).Masked().Addr().String() }

func kernelRoutes(ns string) ([]kroute, error) {
	out, err := exec.Command("ip", "-j", "-N", "-n", ns, "route", "show", "table", "main").Output()
	if err != nil {
		return nil, fmt.Errorf("ip route in %s: %w", ns, err)
	}
	var raw []struct {
		kroute
		Flags []string `json:"flags"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("ip route in %s: %w", ns, err)
	}
	rs := make([]kroute, len(raw))
	for i, r := range raw {
		rs[i] = r.kroute
		rs[i].Onlink = slices.Contains(r.Flags, "onlink")
		if rs[i].Dst != "default" && !strings.Contains(rs[i].Dst, "/") {
			rs[i].Dst += "/32"
		}
	}
	return rs, nil
}

// uplink is the link that holds addr in ns.
func uplink(ns, addr string) (string, error) {
	out, err := exec.Command("ip", "-j", "-4", "-n", ns, "addr", "show").Output()
	if err != nil {
		return "", fmt.Errorf("ip addr in %s: %w", ns, err)
	}
	var links []struct {
		Ifname   string `json:"ifname"`
		AddrInfo []struct {
			Local string `json:"local"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return "", fmt.Errorf("ip addr in %s: %w", ns, err)
	}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if a.Local == addr {
				return l.Ifname, nil
			}
		}
	}
	return "", fmt.Errorf("no link holds %s", addr)
}

// kernelProblems compares h's table with what it should hold: each wanted
// route podroutes' own and exact, or another owner's route there (the
// conflict); no podroutes route the host does not want; every route of
// another owner the soak added still there, unchanged. It returns the
// destinations in conflict.
func kernelProblems(h *host, inv map[string]node) (conflicts []string, problems []string, err error) {
	dev, err := uplink(h.ns, h.addr)
	if err != nil {
		return nil, nil, err
	}
	routes, err := kernelRoutes(h.ns)
	if err != nil {
		return nil, nil, err
	}
	at := map[string][]kroute{}
	birds := 0
	for _, k := range routes {
		at[k.Dst] = append(at[k.Dst], k)
		if k.Protocol == birdProto {
			birds++
		}
	}
	foreignAt := func(d string) bool {
		return slices.Contains(at[d], kroute{Dst: d, Gateway: auxGW, Dev: "aux0", Protocol: foreignProto, Metric: foreignMetric})
	}
	for _, d := range sortedKeys(h.foreign) {
		if !foreignAt(d) {
			problems = append(problems, fmt.Sprintf("another owner's route %s via %s dev aux0 proto static metric %d deleted or changed: the kernel has %v",
				d, auxGW, foreignMetric, at[d]))
		}
	}
	if birds != h.bird {
		problems = append(problems, fmt.Sprintf("%d of another owner's proto bird routes, not %d", birds, h.bird))
	}
	w := wanted(inv, h.addr)
	for _, d := range sortedKeys(w) {
		if h.foreign[d] {
			conflicts = append(conflicts, d)
			continue
		}
		want := h.path(d, w[d], dev)
		var own []kroute
		for _, k := range at[d] {
			if k.Protocol == ownProto {
				own = append(own, k)
			}
		}
		if len(own) != 1 || own[0] != want {
			problems = append(problems, fmt.Sprintf("want %v, the kernel has %v", want, at[d]))
		}
	}
	for _, k := range routes {
		if _, ok := w[k.Dst]; k.Protocol == ownProto && !ok {
			problems = append(problems, fmt.Sprintf("podroutes' route %v not wanted", k))
		}
	}
	if h.offLink {
		p, err := tunnelProblems(h, w, conflicts)
		if err != nil {
			return nil, nil, err
		}
		problems = append(problems, p...)
	}
	return conflicts, problems, nil
}

// tunnelEntries is the entries h's tunnel should hold for the wanted routes
// w: neighbour entries (inner address to MAC) and FDB entries (MAC to the
// peer's address), each for an off-segment peer; those of destinations in
// conflict may be there or not (podroutes' route is not, the kernel uses
// another owner's).
func tunnelEntries(h *host, w map[string]string, conflicts []string) (neigh, fdb, maybeNeigh, maybeFDB map[string]string) {
	neigh, fdb, maybeNeigh, maybeFDB = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	for _, d := range sortedKeys(w) {
		peer := w[d]
		if !h.offSegment(peer) {
			continue
		}
		mac := tunnel.MAC(netip.MustParseAddr(peer)).String()
		if slices.Contains(conflicts, d) {
			maybeNeigh[inner(d)], maybeFDB[mac] = mac, peer
			continue
		}
		neigh[inner(d)], fdb[mac] = mac, peer
	}
	return neigh, fdb, maybeNeigh, maybeFDB
}

// fdbEntry is an entry of `bridge -j fdb show dev podroutes-vx`.
type fdbEntry struct {
	MAC string `json:"mac"`
	Dst string `json:"dst"`
}

func tunnelFDB(ns string) ([]fdbEntry, error) {
	out, err := exec.Command("bridge", "-j", "-n", ns, "fdb", "show", "dev", tunnel.Name).Output()
	if err != nil {
		return nil, fmt.Errorf("bridge fdb in %s: %w", ns, err)
	}
	var es []fdbEntry
	if err := json.Unmarshal(out, &es); err != nil {
		return nil, fmt.Errorf("bridge fdb in %s: %w", ns, err)
	}
	return es, nil
}

func linkExists(ns, name string) bool {
	return exec.Command("ip", "-n", ns, "link", "show", "dev", name).Run() == nil
}

// tunnelProblems compares h's tunnel device and its entries with the
// off-segment peers: the device there (up) with exactly their entries,
// or no device when there are none.
func tunnelProblems(h *host, w map[string]string, conflicts []string) ([]string, error) {
	neigh, fdb, maybeNeigh, maybeFDB := tunnelEntries(h, w, conflicts)
	if !linkExists(h.ns, tunnel.Name) {
		if len(neigh) > 0 {
			return []string{fmt.Sprintf("no %s, where %d peers go through it", tunnel.Name, len(fdb))}, nil
		}
		return nil, nil
	}
	if len(neigh)+len(maybeNeigh) == 0 {
		return []string{fmt.Sprintf("%s there, with no peer off the segment", tunnel.Name)}, nil
	}
	var problems []string
	out, err := exec.Command("ip", "-j", "-n", h.ns, "neigh", "show", "dev", tunnel.Name).Output()
	if err != nil {
		return nil, fmt.Errorf("ip neigh in %s: %w", h.ns, err)
	}
	var ns []struct {
		Dst    string   `json:"dst"`
		Lladdr string   `json:"lladdr"`
		State  []string `json:"state"`
	}
	if err := json.Unmarshal(out, &ns); err != nil {
		return nil, fmt.Errorf("ip neigh in %s: %w", h.ns, err)
	}
	seen := map[string]bool{}
	for _, n := range ns {
		seen[n.Dst] = true
		want, ok := neigh[n.Dst]
		if !ok {
			want, ok = maybeNeigh[n.Dst]
		}
		if !ok || n.Lladdr != want || !slices.Contains(n.State, "PERMANENT") {
			problems = append(problems, fmt.Sprintf("tunnel: neighbour %s lladdr %s %v not wanted (want %q)", n.Dst, n.Lladdr, n.State, want))
		}
	}
	for _, d := range sortedKeys(neigh) {
		if !seen[d] {
			problems = append(problems, fmt.Sprintf("tunnel: no neighbour %s lladdr %s", d, neigh[d]))
		}
	}
	es, err := tunnelFDB(h.ns)
	if err != nil {
		return nil, err
	}
	seen = map[string]bool{}
	for _, e := range es {
		if e.Dst == "" {
			continue // the device's own, not a peer's
		}
		seen[e.MAC] = true
		want, ok := fdb[e.MAC]
		if !ok {
			want, ok = maybeFDB[e.MAC]
		}
		if !ok || e.Dst != want {
			problems = append(problems, fmt.Sprintf("tunnel: fdb %s dst %s not wanted (want %q)", e.MAC, e.Dst, want))
		}
	}
	for _, m := range sortedKeys(fdb) {
		if !seen[m] {
			problems = append(problems, fmt.Sprintf("tunnel: no fdb %s dst %s", m, fdb[m]))
		}
	}
	return problems, nil
}

// checkProblems runs `podroutes check --output json` in h and compares its
// report and exit status with the kernel's truth: each wanted route in
// place, or held by another owner where the soak put one; nothing else.
func checkProblems(bin string, source []string, h *host, want map[string]string, conflicts []string) []string {
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.ns, bin, "check", "--output", "json"}, source...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		return []string{fmt.Sprintf("check: %v", err)}
	}
	var problems []string
	wantCode := 0
	if len(conflicts) > 0 {
		wantCode = 1
	}
	if code != wantCode {
		problems = append(problems, fmt.Sprintf("check exits %d, not %d (stderr: %s)", code, wantCode, bytes.TrimSpace(tail(stderr.Bytes()))))
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	tunnelSeen := false
	for sc.Scan() {
		var l struct {
			State       string `json:"state"`
			Destination string `json:"destination"`
			Path        string `json:"path"`
			Tunnel      *struct {
				State string `json:"state"`
				Peers []struct {
					Inner     string `json:"inner"`
					Node      string `json:"node"`
					MAC       string `json:"mac"`
					Neighbour bool   `json:"neighbour"`
					FDB       bool   `json:"fdb"`
				} `json:"peers"`
			} `json:"tunnel"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			problems = append(problems, fmt.Sprintf("check: unreadable line %q: %v", sc.Text(), err))
			continue
		}
		if t := l.Tunnel; t != nil && h.offLink {
			// The tunnel's line: in place with an entry pair per
			// off-segment peer, or absent when there is none.
			tunnelSeen = true
			neigh, _, maybe, _ := tunnelEntries(h, want, conflicts)
			ok := t.State == cond(len(neigh) > 0, "in place", "absent") || (len(neigh) == 0 && len(maybe) > 0)
			got := map[string]bool{}
			for _, p := range t.Peers {
				if _, m := maybe[p.Inner]; m {
					continue
				}
				got[p.Inner] = true
				ok = ok && neigh[p.Inner] == p.MAC && p.Neighbour && p.FDB
			}
			if !ok || len(got) != len(neigh) {
				problems = append(problems, fmt.Sprintf("check says %s", sc.Text()))
			}
			continue
		}
		state := "in place"
		if slices.Contains(conflicts, l.Destination) {
			state = "held by another owner"
		}
		gw, ok := want[l.Destination]
		if !ok || seen[l.Destination] || l.State != state || (h.offLink && l.Path != cond(h.offSegment(gw), "vxlan", "direct")) {
			problems = append(problems, fmt.Sprintf("check says %s", sc.Text()))
		}
		seen[l.Destination] = true
	}
	if neigh, _, _, _ := tunnelEntries(h, want, conflicts); len(neigh) > 0 && !tunnelSeen {
		problems = append(problems, "check names no tunnel, where peers go through it")
	}
	for _, d := range sortedKeys(want) {
		if !seen[d] {
			problems = append(problems, "check names no route to "+d)
		}
	}
	return problems
}

// metricsProblems compares the metrics textfile's podroutes_routes with the
// kernel's truth.
func metricsProblems(h *host, want map[string]string, conflicts []string) []string {
	b, err := os.ReadFile(h.prom)
	if err != nil {
		return []string{err.Error()}
	}
	expect := map[string]float64{"in_place": float64(len(want) - len(conflicts)), "conflict": float64(len(conflicts))}
	got := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, `podroutes_routes{state="`)
		if !ok {
			continue
		}
		state, value, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return []string{fmt.Sprintf("metrics: %q: %v", line, err)}
		}
		got[state] = v
	}
	var problems []string
	for _, s := range sortedKeys(got) {
		if got[s] != expect[s] {
			problems = append(problems, fmt.Sprintf("metrics: podroutes_routes{state=%q} %g, the kernel: %g", s, got[s], expect[s]))
		}
	}
	for _, s := range sortedKeys(expect) {
		if _, ok := got[s]; !ok && expect[s] != 0 {
			problems = append(problems, fmt.Sprintf("metrics: no podroutes_routes{state=%q}, the kernel: %g", s, expect[s]))
		}
	}
	return problems
}

// table is h's main table as ip prints it, another owner's bird routes
// counted rather than listed.
func table(h *host) string {
	out, _ := exec.Command("ip", "-n", h.ns, "route", "show", "table", "main").CombinedOutput()
	var b strings.Builder
	birds := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, " proto bird") {
			birds++
			continue
		}
		b.WriteString("    " + line + "\n")
	}
	fmt.Fprintf(&b, "    (and %d routes proto bird)\n", birds)
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		pa, ea := netip.ParsePrefix(a)
		pb, eb := netip.ParsePrefix(b)
		if ea == nil && eb == nil {
			if c := pa.Addr().Compare(pb.Addr()); c != 0 {
				return c
			}
		}
		return strings.Compare(a, b)
	})
	return keys
}

// tunnelTable is h's tunnel device and entries as ip and bridge print them.
func tunnelTable(h *host) string {
	var b strings.Builder
	for _, args := range [][]string{
		{"ip", "-n", h.ns, "-d", "link", "show", "dev", tunnel.Name},
		{"ip", "-n", h.ns, "neigh", "show", "dev", tunnel.Name},
		{"bridge", "-n", h.ns, "fdb", "show", "dev", tunnel.Name},
	} {
		out, _ := exec.Command(args[0], args[1:]...).CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			b.WriteString("    " + line + "\n")
		}
	}
	return b.String()
}
