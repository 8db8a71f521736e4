package metrics

import (
	"fmt"
	"net"
	"strconv"
)

// EnvAddress, set, is the address watch serves the metrics at, as its
// --metrics-address.
const EnvAddress = "PODROUTES_METRICS_ADDRESS"

// CheckAddress refuses an address for Serve that is not HOST:PORT (a
// port of 16 bits), before anything else is done, as --metrics-address
// (it says how to write one); "" is none.
func CheckAddress(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("--metrics-address %q: want HOST:PORT (127.0.0.1:9157, [::1]:9157, :9157 for every address): %w", addr, err)
	}
	return nil
}
