// Package networkd owns podroutes' systemd-networkd drop-in: the [Route]
// sections that have networkd make the routes `podroutes apply` makes, so
// that it re-adds them after it reconfigures the link instead of dropping
// them. It renders a host's drop-in (gen puts it in the host's tree),
// reads one back and names where it drifts from a config, finds the
// podroutes drop-ins in networkd's directories, installs and removes them,
// and has networkd reload.
package networkd

import (
	"bufio"
	"fmt"
	"io"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/route"
)

// DropInName is the drop-in's file name in the .network file's .d/.
const DropInName = "50-podroutes.conf"

// Dirs are systemd-networkd's configuration directories
// (systemd.network(5)), where Find and FindDrift look; a variable for
// tests.
var Dirs = []string{"/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network", "/usr/lib/systemd/network"}

// DropInPath is where the drop-in extending networkFile goes in a host's
// root-overlay tree (gen's).
func DropInPath(networkFile string) string {
	return "etc/systemd/network/" + DropInRel(networkFile)
}

// DropInRel is where the drop-in extending networkFile goes in a
// directory of .network files (/etc/systemd/network, /run/systemd/network).
func DropInRel(networkFile string) string {
	return networkFile + ".d/" + DropInName
}

// Render writes the drop-in of c that extends networkFile: one [Route]
// section per route, with the Protocol= and Metric= that `podroutes
// apply` uses, so networkd adopts the routes apply installed instead of
// adding second ones. It writes by hand, as config.Write does: a
// 1000-host cluster means a million routes, and every value is a
// validated address or prefix.
func Render(w io.Writer, c config.Config, networkFile, source string) error {
	b := bufio.NewWriter(w)
	b.WriteString(config.Header(c.Node, source))
	fmt.Fprintf(b, "# Extends %s: systemd-networkd re-applies these routes whenever it\n", networkFile)
	b.WriteString("# configures the link. Protocol= and Metric= match `podroutes apply`.\n")
	tail := fmt.Sprintf("\nProtocol=%d\nMetric=%d\n", route.Owner, c.Metric)
	var buf []byte
	for _, r := range c.Routes {
		buf = append(buf[:0], "\n[Route]\nDestination="...)
		buf = r.Destination.AppendTo(buf)
		buf = append(buf, "\nGateway="...)
		buf = r.Gateway.AppendTo(buf)
		if r.OnLink {
			buf = append(buf, "\nGatewayOnLink=yes"...)
		}
		buf = append(buf, tail...)
		b.Write(buf)
	}
	return b.Flush()
}
