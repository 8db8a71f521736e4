package fake

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/apply/reconcile"
)

// MustParse is the inverse of reconcile.Route.String: it reads
// "DST [via GW] [dev DEV] [proto P] [metric N] [onlink]", so that tests
// write routes as text. It panics on a malformed route.
func MustParse(s string) reconcile.Route {
	r, err := parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

func parse(s string) (reconcile.Route, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return reconcile.Route{}, fmt.Errorf("parsing route %q: empty", s)
	}
	var r reconcile.Route
	var err error
	if r.Dst, err = netip.ParsePrefix(f[0]); err != nil {
		return reconcile.Route{}, fmt.Errorf("parsing route %q: %w", s, err)
	}
	for i := 1; i < len(f); i++ {
		if f[i] == "onlink" {
			r.OnLink = true
			continue
		}
		if i+1 == len(f) {
			return reconcile.Route{}, fmt.Errorf("parsing route %q: %s needs a value", s, f[i])
		}
		key, val := f[i], f[i+1]
		i++
		switch key {
		case "via":
			r.Gw, err = netip.ParseAddr(val)
		case "dev":
			r.Dev = val
		case "proto":
			var ok bool
			if r.Protocol, ok = reconcile.ParseProtocol(val); !ok {
				err = fmt.Errorf("unknown protocol %q", val)
			}
		case "metric":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 32)
			r.Metric = uint32(n)
		default:
			err = fmt.Errorf("unknown keyword %q", key)
		}
		if err != nil {
			return reconcile.Route{}, fmt.Errorf("parsing route %q: %w", s, err)
		}
	}
	return r, nil
}
