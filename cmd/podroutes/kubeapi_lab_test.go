//go:build !nokube

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/nstest"
)

// TestKubeAPIServerKept: a Node whose podCIDR holds the API server's
// address (192.0.2.10, reached through a router at 10.240.0.10) is left
// out by apply, check and watch, naming the API server; so the API
// server stays reachable, and the Nodes that come later are routed.
// Routed, the route would take the host's traffic to the API server to
// that Node, and no list could ever take it out again.
func TestKubeAPIServerKept(t *testing.T) {
	sw := nstest.Switch(t)
	server, node1 := nstest.New(t), nstest.New(t)
	for ns, addr := range map[*nstest.NS]string{server: "10.240.0.10/24", node1: "10.240.0.21/24"} {
		nstest.Plug(t, sw, ns, "eth0")
		ns.IP(t, "addr", "add", addr, "dev", "eth0")
	}
	server.IP(t, "addr", "add", "192.0.2.10/32", "dev", "eth0")
	node1.IP(t, "route", "add", "192.0.2.0/24", "via", "10.240.0.10", "proto", "static")
	lab := oneHostLab(t, server, "192.0.2.10", node1,
		[3][2]string{{"10.240.0.20", "192.0.2.0/25"}, {"10.240.0.21", "10.200.1.0/24"}, {"10.240.0.22", "10.200.2.0/24"}})
	c, kubeconfig, in, lock := lab.c, lab.kubeconfig, lab.hosts["node-1"].in, lab.hosts["node-1"].lock
	const why = "destination holds 192.0.2.10, the Kubernetes API server's address (the kubeconfig's server https://192.0.2.10:6443); " +
		"the route would cut this host off from it"
	const leftOut = "route 192.0.2.0/25 via 10.240.0.20 (node-0): " + why + " (not routed)"
	routes := func() string { return lab.routes(t, "node-1") }
	expect(t, "apply --kubeconfig", runBin(t, nil, in, "apply", "--kubeconfig", kubeconfig, "--lock", lock), 1, leftOut, "1 route in place: 1 added")
	if got := routes(); got != "10.200.2.0/24 via 10.240.0.22" {
		t.Fatalf("node-1's routes after apply:\n%s\nwant only node-2's", got)
	}
	expect(t, "check --kubeconfig", runBin(t, nil, in, "check", "--kubeconfig", kubeconfig), 1,
		"left out  192.0.2.0/25 via 10.240.0.20 proto podroutes metric 100  # node-0, "+why+"\n")

	w := startBin(t, nil, in, "watch", "--kubeconfig", kubeconfig, "--lock", lock)
	w.waitOutput(t, leftOut)
	c.CreateNodeAt(t, "node-3", "10.240.0.23", "10.200.3.0/24")
	for end := time.Now().Add(10 * time.Second); !strings.Contains(routes(), "10.200.3.0/24 via 10.240.0.23"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("node-3 not routed after 10 s: has the watcher lost the API server?\n%s\n%s", routes(), w.out.String())
		}
	}
	if strings.Contains(routes(), "192.0.2.") {
		t.Errorf("the watcher routed the API server's address away:\n%s", routes())
	}
}

// TestKubeOnePassRejected: apply and check, which list once, say that
// they failed and why when the API server rejects the credentials or
// their rights, and nothing of a retry they do not make: apply fails
// (exit 1), check could not tell (exit 3).
func TestKubeOnePassRejected(t *testing.T) {
	l := newKubeLab(t)
	n1 := l.hosts["node-1"]
	for _, c := range []struct{ name, token, why string }{
		{"an unknown token", "not-a-token", "listing the Nodes: the Kubernetes API at https://10.240.0.10:6443 rejects the kubeconfig's credentials: Unauthorized"},
		{"a token without rights", l.c.Tokens.Nobody, "listing the Nodes: the kubeconfig's user may not list and watch Nodes at https://10.240.0.10:6443"},
	} {
		kubeconfig := l.c.Kubeconfig(t, c.token)
		for _, run := range []struct {
			args []string
			code int
		}{{[]string{"apply", "--lock", n1.lock}, 1}, {[]string{"check"}, 3}} {
			what := run.args[0] + " with " + c.name
			r := runBin(t, nil, n1.in, append(run.args, "--kubeconfig", kubeconfig, "--node", "node-1")...)
			expect(t, what, r, run.code, c.why)
			if out := r.stdout + r.stderr; strings.Contains(out, "asking it again") {
				t.Errorf("%s: a one-shot command speaks of a retry:\n%s", what, out)
			}
		}
	}
}
