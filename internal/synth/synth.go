// Package synth makes synthetic clusters for tests and benchmarks: an
// inventory of n hosts (a server without pods, then nodes with a /24 pod
// subnet each), in the lab's machines.txt format.
package synth

import (
	"fmt"
	"strings"
)

// Machines returns a machines.txt of a server and n-1 nodes, node-1 to
// node-(n-1), node i at addr(i) with pod subnet subnet(i). Aligned, it is
// laid out and commented like a hand-kept file; else one space apart.
func Machines(n int, aligned bool) []byte {
	var b strings.Builder
	if aligned {
		b.WriteString("# machines.txt\n")
	}
	line := func(i int, addr, name, subnet string) {
		fqdn := name + ".kubernetes.local"
		if aligned {
			fmt.Fprintf(&b, "%-13s  %-28s  %-10s  %-16s  # rack %d\n", addr, fqdn, name, subnet, i/40)
			return
		}
		fmt.Fprintln(&b, strings.TrimSpace(strings.Join([]string{addr, fqdn, name, subnet}, " ")))
	}
	line(0, "10.240.0.10", "server", "")
	for i := 1; i < n; i++ {
		line(i, addr(i), fmt.Sprintf("node-%d", i), subnet(i))
	}
	return []byte(b.String())
}

// addr is node i's address: 10.240.x.y, never the server's 10.240.0.10.
func addr(i int) string { return fmt.Sprintf("10.240.%d.%d", i/200, i%200+20) }

// subnet is node i's pod subnet.
func subnet(i int) string { return fmt.Sprintf("10.%d.%d.0/24", 200+i/256, i%256) }
