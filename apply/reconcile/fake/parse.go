package fake

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/route"
)

// MustParse is the inverse of reconcile.Route.String: it reads
// "[TYPE] DST [from SRC] [tos 0xT] [via GW] [dev DEV] [proto P] [scope S]
// [metric N] [onlink] [nexthop via GW dev DEV weight W]...", so that tests
// write routes as text; a route without proto is "proto boot", as with
// `ip route`. It panics on a malformed route.
func MustParse(s string) reconcile.Route {
	r, err := parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// MustKey is the key of the route MustParse reads from s ("DST", or a
// whole route).
func MustKey(s string) route.Key {
	r := MustParse(s)
	return r.Key()
}

var types = map[string]uint8{"blackhole": 6, "unreachable": 7, "prohibit": 8, "throw": 9}

var scopes = map[string]uint8{"link": 253, "host": 254}

func parse(s string) (reconcile.Route, error) {
	f := strings.Fields(s)
	r := reconcile.Route{Protocol: 3} // boot
	if len(f) > 0 && types[f[0]] != 0 {
		r.Type, f = types[f[0]], f[1:]
	}
	if len(f) == 0 {
		return reconcile.Route{}, fmt.Errorf("parsing route %q: empty", s)
	}
	var err error
	if r.Dst, err = netip.ParsePrefix(f[0]); err != nil {
		return reconcile.Route{}, fmt.Errorf("parsing route %q: %w", s, err)
	}
	for i := 1; i < len(f); i++ {
		switch f[i] {
		case "onlink":
			r.OnLink = true
			continue
		case "nexthop":
			r.Hops = append(r.Hops, reconcile.Hop{Weight: 1})
			continue
		}
		if i+1 == len(f) {
			return reconcile.Route{}, fmt.Errorf("parsing route %q: %s needs a value", s, f[i])
		}
		i++
		if err := parseKey(&r, f[i-1], f[i]); err != nil {
			return reconcile.Route{}, fmt.Errorf("parsing route %q: %w", s, err)
		}
	}
	return r, nil
}

// parseKey reads one keyword and its value into r; after "nexthop", as
// in `ip route`, via, dev and weight are the last hop's.
func parseKey(r *reconcile.Route, key, val string) error {
	gw, dev := &r.Gw, &r.Dev
	var hop *reconcile.Hop
	if n := len(r.Hops); n > 0 {
		hop = &r.Hops[n-1]
		gw, dev = &hop.Gw, &hop.Dev
	}
	var err error
	var ok bool
	switch {
	case key == "via":
		*gw, err = netip.ParseAddr(val)
	case key == "dev":
		*dev = val
	case hop != nil && key == "weight":
		hop.Weight, err = strconv.Atoi(val)
	case hop != nil:
		err = fmt.Errorf("unknown nexthop keyword %q", key)
	case key == "from":
		r.Src, err = netip.ParsePrefix(val)
	case key == "tos":
		r.Tos, err = parseUint[uint8](val, 8)
	case key == "metric":
		r.Metric, err = parseUint[uint32](val, 32)
	case key == "proto":
		if r.Protocol, ok = route.ParseProtocol(val); !ok {
			err = fmt.Errorf("unknown protocol %q", val)
		}
	case key == "scope":
		if r.Scope, ok = scopes[val]; !ok {
			err = fmt.Errorf("unknown scope %q", val)
		}
	default:
		err = fmt.Errorf("unknown keyword %q", key)
	}
	return err
}

// parseUint reads a number of at most bits bits, as ip does (0x for hex).
func parseUint[T uint8 | uint32](val string, bits int) (T, error) {
	n, err := strconv.ParseUint(val, 0, bits)
	return T(n), err
}
