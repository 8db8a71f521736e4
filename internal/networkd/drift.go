package networkd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/route"
)

// Drift compares a networkd drop-in of podroutes' (data, as Render wrote
// it, or an edit of it) with the routes c wants, and names each
// route that differs, as networkd would make it at its next configure of
// the link: one the drop-in has that c does not want (networkd would add
// it, and podroutes prune it), one c wants that the drop-in lacks
// (networkd would drop it, as it drops every route it does not declare).
// A route is its destination, gateway, onlink flag, protocol and metric.
// A drop-in that cannot be read is an error naming its line. With
// offLink vxlan, c wants no drop-in (Wanted): each route there is drift.
func Drift(data []byte, c config.Config) ([]string, error) {
	got, err := dropInRoutes(data)
	if err != nil {
		return nil, err
	}
	if !Wanted(c) {
		c.Routes = nil
	}
	// Sets, not lists: apply looks at every start, and a drop-in of 5000
	// routes compared pairwise took 25 million comparisons.
	want := make(map[dropInRoute]bool, len(c.Routes))
	for _, r := range c.Routes {
		want[written(r, c)] = true
	}
	has := make(map[dropInRoute]bool, len(got))
	var drift []string
	for _, r := range got {
		if has[r] = true; !want[r] {
			drift = append(drift, fmt.Sprintf("has %s, which the config does not want: networkd would add it", r))
		}
	}
	for _, r := range c.Routes {
		if w := written(r, c); !has[w] {
			drift = append(drift, fmt.Sprintf("lacks %s: networkd would drop it", w))
		}
	}
	return drift, nil
}

// Wanted reports whether c has a networkd drop-in at all: not with
// offLink vxlan, whose routes go direct or through the tunnel as the
// host's links say at run time, which networkd cannot follow (it would
// add every route direct, and fail those of peers on no link).
func Wanted(c config.Config) bool { return c.OffLink == config.OffLinkNone }

// Find returns the first podroutes drop-in (gen's, or apply's with
// --networkd-dropin) in networkd's directories (Dirs), if there is one.
func Find() (string, bool) {
	for _, dir := range Dirs {
		if found := DropIns(dir); len(found) > 0 {
			return found[0], true
		}
	}
	return "", false
}

// FindDrift names, line by line, where the podroutes drop-ins in
// networkd's directories (Dirs) disagree with cfg (Drift): the routes
// networkd would make at its next configure of the link, where podroutes
// makes cfg's. A drop-in that cannot be read is named too.
func FindDrift(cfg config.Config) []string {
	var out []string
	for _, dir := range Dirs {
		for _, path := range DropIns(dir) {
			data, err := os.ReadFile(path)
			if err != nil {
				out = append(out, err.Error()) // it names the file
				continue
			}
			drift, err := Drift(data, cfg)
			if err != nil {
				drift = []string{err.Error()}
			}
			for _, d := range drift {
				out = append(out, path+": "+d)
			}
		}
	}
	return out
}

// dropInRoute is a [Route] section, as much of it as podroutes writes.
type dropInRoute struct {
	dst      netip.Prefix
	gw       netip.Addr
	onLink   bool
	protocol route.Protocol
	metric   uint32
}

// written is r of c as Render writes it (the round trip of
// TestDropInDrift holds the two together).
func written(r config.Route, c config.Config) dropInRoute {
	return dropInRoute{r.Destination, r.Gateway, r.OnLink, route.Owner, c.Metric}
}

func (r dropInRoute) String() string {
	s := r.dst.String()
	if r.gw.IsValid() {
		s += " via " + r.gw.String()
	}
	if r.onLink {
		s += " onlink"
	}
	return s + fmt.Sprintf(" proto %s metric %d", r.protocol, r.metric)
}

// dropInRoutes reads the [Route] sections of a .network drop-in, with
// systemd's defaults for what a section leaves out (protocol static, 4;
// metric 1024 for IPv6, else 0). It reads what Render writes and what
// systemd.network(5) allows of the keys it writes; other keys and
// sections are not podroutes' and are skipped.
func dropInRoutes(data []byte) ([]dropInRoute, error) {
	var rs []dropInRoute
	in := false // in a [Route] section
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if in = line == "[Route]"; in {
				rs = append(rs, dropInRoute{protocol: 4}) // RTPROT_STATIC
			}
			continue
		case !in:
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is no KEY=VALUE", n, line)
		}
		r := &rs[len(rs)-1]
		var err error
		switch key, value = strings.TrimSpace(key), strings.TrimSpace(value); key {
		case "Destination":
			r.dst, err = parseDestination(value)
		case "Gateway":
			r.gw, err = netip.ParseAddr(value)
		case "GatewayOnLink":
			r.onLink, err = parseBool(value)
		case "Protocol":
			var ok bool
			if r.protocol, ok = route.ParseProtocol(value); !ok {
				err = errors.New("want a protocol number or name")
			}
		case "Metric":
			m, perr := strconv.ParseUint(value, 10, 32)
			if r.metric = uint32(m); perr != nil {
				err = errors.New("want a number from 0 to 4294967295")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s=%s: %w", n, key, value, err)
		}
	}
	for i := range rs {
		if rs[i].metric == 0 && rs[i].dst.Addr().Is6() {
			rs[i].metric = 1024
		}
	}
	return rs, sc.Err()
}

// parseDestination reads Destination=: a prefix, or an address alone
// (all of its bits).
func parseDestination(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen()), err
}

// parseBool reads a boolean as systemd does (parse_boolean).
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, nil
	case "0", "no", "n", "false", "f", "off":
		return false, nil
	}
	return false, errors.New("want yes or no")
}
