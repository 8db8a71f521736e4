package main

import (
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/config"
)

// TestOffLinkInput: --off-link takes none or vxlan, and not beside a
// routes.yaml (which says it itself); gen with offLink vxlan writes
// routes.yaml with the mode and the host's address and no networkd
// drop-in, and refuses --format ip: each refusal exit 2, named.
func TestOffLinkInput(t *testing.T) {
	cfg := writeConfig(t, "node: node-0\nroutes: []\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gen", "--inventory", lab, "--off-link", "ipip"}, `--off-link: offLink "ipip": want none or vxlan`},
		{[]string{"check", "--inventory", lab, "--off-link", "gre"}, `--off-link: offLink "gre": want none or vxlan`},
		{[]string{"check", "--config", cfg, "--off-link", "vxlan"}, "--off-link: " + cfg + " is a routes.yaml, which says it itself (offLink: vxlan)"},
		{[]string{"gen", "--inventory", "../../examples/segments.yaml", "--format", "ip"}, "--format ip prints direct routes only"},
		{[]string{"gen", "--inventory", lab, "--off-link", "vxlan", "--format", "ip"}, "--format ip prints direct routes only"},
	} {
		r := podroutes(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	r := podroutes(t, "gen", "--inventory", lab, "--off-link", "vxlan", "--node", "node-0")
	if r.code != 0 || !strings.Contains(r.stdout, "offLink: vxlan\naddress: 10.240.0.20\n") || strings.Contains(r.stdout, "50-podroutes.conf") {
		t.Errorf("gen --off-link vxlan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The environment, as the units read it from /etc/default/podroutes.
	r = runBin(t, []string{config.OffLinkEnv + "=vxlan"}, nil, "gen", "--inventory", lab, "--node", "node-0")
	if r.code != 0 || !strings.Contains(r.stdout, "offLink: vxlan\n") {
		t.Errorf("gen with %s=vxlan: exit %d\n%s%s", config.OffLinkEnv, r.code, r.stdout, r.stderr)
	}
	r = runBin(t, []string{config.OffLinkEnv + "=ipip"}, nil, "check", "--inventory", lab)
	if r.code != 2 || !strings.Contains(r.stderr, `--off-link: offLink "ipip"`) {
		t.Errorf("check with %s=ipip: exit %d\n%s", config.OffLinkEnv, r.code, r.stderr)
	}
}
