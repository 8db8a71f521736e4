// Package render turns one host's planned routes into the lab's `ip route
// replace` commands (routes.yaml is config.Write's, the networkd drop-in
// networkd.Render's). It writes by hand, as config.Write does: a
// 1000-host cluster means a million routes, and every value is a
// validated address, prefix or name.
package render

import (
	"bufio"
	"fmt"
	"io"

	"github.com/podroutes/podroutes/gen/plan"
	"github.com/podroutes/podroutes/internal/route"
)

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
