// Package render turns one host's planned routes into the text of the
// outputs besides routes.yaml (config.Write): a systemd-networkd [Route]
// drop-in and the lab's `ip route replace` commands. It writes by hand, as
// config.Write does: a 1000-host cluster means a million routes, and every
// value is a validated address, prefix or name.
package render

import (
	"bufio"
	"fmt"
	"io"

	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/route"
)

// DropInName is the drop-in's file name in the .network file's .d/.
const DropInName = "50-podroutes.conf"

// DropInPath is where the networkd drop-in goes in a host's tree.
func DropInPath(n plan.Node) string {
	return "etc/systemd/network/" + DropInRel(n)
}

// DropInRel is where the networkd drop-in goes in a directory of .network
// files (/etc/systemd/network, /run/systemd/network).
func DropInRel(n plan.Node) string {
	return n.NetworkFile + ".d/" + DropInName
}

// DropIn writes the systemd-networkd drop-in: one [Route] section per route,
// with the Protocol= and Metric= that `podroutes apply` uses, so networkd
// adopts the routes apply installed instead of adding second ones.
func DropIn(w io.Writer, n plan.Node, source string) error {
	b := bufio.NewWriter(w)
	c := n.Config
	b.WriteString(config.Header(c.Node, source))
	fmt.Fprintf(b, "# Extends %s: systemd-networkd re-applies these routes whenever it\n", n.NetworkFile)
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

// IPCommands writes a `# HOST` line and the host's `ip route replace`
// commands: the lab's manual way, idempotent where `ip route add` is not.
func IPCommands(w io.Writer, n plan.Node) error {
	b := bufio.NewWriter(w)
	c := n.Config
	fmt.Fprintf(b, "# %s\n", c.Node)
	for _, r := range c.Routes {
		fmt.Fprintf(b, "ip route replace %s via %s", r.Destination, r.Gateway)
		if c.Device != "" {
			fmt.Fprintf(b, " dev %s", c.Device)
		}
		if r.OnLink {
			b.WriteString(" onlink")
		}
		fmt.Fprintf(b, " proto %d metric %d\n", route.Owner, c.Metric)
	}
	return b.Flush()
}
