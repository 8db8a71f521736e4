package k8stest

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/procfs"

	"github.com/podroutes/podroutes/internal/nstest"
)

// Lab addresses, as in examples/machines.txt: the control plane on the
// server, a node that reaches it over a veth.
const (
	serverAddr = "10.240.0.10"
	nodeAddr   = "10.240.0.20"
)

// lab starts a control plane in a namespace of its own ("server") and
// makes a second namespace ("node") joined to it by a veth, from which
// clients dial as a host of the lab would.
func lab(t *testing.T) (c *Cluster, node *nstest.NS) {
	t.Helper()
	server, node := nstest.New(t), nstest.New(t)
	nstest.Veth(t, server, "eth0", node, "eth0")
	server.IP(t, "addr", "add", serverAddr+"/24", "dev", "eth0")
	node.IP(t, "addr", "add", nodeAddr+"/24", "dev", "eth0")
	return Start(t, server.Name, serverAddr), node
}

// listeners are the local addresses of the listening TCP sockets in the
// network namespace of a process, from /proc/PID/net/tcp{,6}.
func listeners(t *testing.T, pid int) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, file := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			ap, err := parseProcAddr(fields[1])
			if err != nil {
				t.Fatalf("/proc/%d/net/%s: %v", pid, file, err)
			}
			out = append(out, ap)
		}
		f.Close()
	}
	return out
}

// parseProcAddr reads "0100007F:0953": the address as 32-bit words in host
// (little-endian) order, the port in big-endian hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	host, port, ok := strings.Cut(s, ":")
	b, err := hex.DecodeString(host)
	if !ok || err != nil || (len(b) != 4 && len(b) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad socket address %q", s)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	var p uint16
	if _, err := fmt.Sscanf(port, "%04X", &p); err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port in %q", s)
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a.Unmap(), p), nil
}

func fmtProc(pid int, name string) string { return fmt.Sprintf("/proc/%d/%s", pid, name) }

// rss is a process's resident set size, from /proc/PID/status.
func rss(t *testing.T, pid int) string {
	t.Helper()
	p, err := procfs.NewProc(pid)
	if err != nil {
		return "unknown"
	}
	st, err := p.NewStatus()
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MB", float64(st.VmRSS)/(1<<20))
}
