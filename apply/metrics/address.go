package metrics

import (
	"net"
	"strconv"
)

// EnvAddress, set, is the address watch serves the metrics at, as its
// --metrics-address.
const EnvAddress = "PODROUTES_METRICS_ADDRESS"

// CheckAddress refuses an address for Serve that is not HOST:PORT (a
// port of 16 bits), before anything else is done; "" is none.
func CheckAddress(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	return err
}
