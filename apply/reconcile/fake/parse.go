package fake

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/internal/route"

	"github.com/podroutes/podroutes/apply/reconcile"
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
	hop := -1 // reading r.Hops[hop] after "nexthop"
	for i := 1; i < len(f); i++ {
		switch f[i] {
		case "onlink":
			r.OnLink = true
			continue
		case "nexthop":
			r.Hops = append(r.Hops, reconcile.Hop{Weight: 1})
			hop = len(r.Hops) - 1
			continue
		}
		if i+1 == len(f) {
			return reconcile.Route{}, fmt.Errorf("parsing route %q: %s needs a value", s, f[i])
		}
		key, val := f[i], f[i+1]
		i++
		if hop >= 0 {
			err = parseHop(&r.Hops[hop], key, val)
		} else {
			err = parseKey(&r, key, val)
		}
		if err != nil {
			return reconcile.Route{}, fmt.Errorf("parsing route %q: %w", s, err)
		}
	}
	return r, nil
}

func parseKey(r *reconcile.Route, key, val string) error {
	var err error
	switch key {
	case "from":
		r.Src, err = netip.ParsePrefix(val)
	case "tos":
		var n uint64
		n, err = strconv.ParseUint(val, 0, 8)
		r.Tos = uint8(n)
	case "via":
		r.Gw, err = netip.ParseAddr(val)
	case "dev":
		r.Dev = val
	case "proto":
		var ok bool
		if r.Protocol, ok = route.ParseProtocol(val); !ok {
			err = fmt.Errorf("unknown protocol %q", val)
		}
	case "scope":
		var ok bool
		if r.Scope, ok = scopes[val]; !ok {
			err = fmt.Errorf("unknown scope %q", val)
		}
	case "metric":
		var n uint64
		n, err = strconv.ParseUint(val, 10, 32)
		r.Metric = uint32(n)
	default:
		err = fmt.Errorf("unknown keyword %q", key)
	}
	return err
}

func parseHop(h *reconcile.Hop, key, val string) error {
	var err error
	switch key {
	case "via":
		h.Gw, err = netip.ParseAddr(val)
	case "dev":
		h.Dev = val
	case "weight":
		h.Weight, err = strconv.Atoi(val)
	default:
		err = fmt.Errorf("unknown nexthop keyword %q", key)
	}
	return err
}
