package inventory

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/golden"
	"github.com/podroutes/podroutes/internal/infile"
)

// dump prints an inventory one host a line, for golden files.
func dump(inv Inventory) string {
	var b strings.Builder
	for _, h := range inv.Hosts {
		fmt.Fprintf(&b, "%d %s fqdn=%q addrs=%v subnets=%v uplink=%q file=%q metric=%d\n",
			h.Line, h.Name, h.FQDN, h.Addrs, h.Subnets, h.Uplink, h.NetworkFile, h.Metric)
	}
	return b.String()
}

// TestGolden parses each testdata inventory with format auto and compares
// the hosts with testdata/NAME.golden (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, name := range []string{"machines.txt", "machines-dual.txt", "inventory.yaml", "nodes.json", "node.json"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			data := filetest.Read(t, path)
			inv, err := Parse(name, data, FormatAuto)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if inv.Source != name {
				t.Errorf("Source = %q, want %q", inv.Source, name)
			}
			golden.Check(t, path+".golden", []byte(dump(inv)))
		})
	}
}

// TestMachinesLayouts checks that the lab's file parses the same whatever
// its layout: aligned columns, tabs, comments, CRLF, a byte order mark.
func TestMachinesLayouts(t *testing.T) {
	const want = "1 server fqdn=\"server.kubernetes.local\" addrs=[10.240.0.10] subnets=[] uplink=\"\" file=\"\" metric=0\n" +
		"2 node-0 fqdn=\"node-0.kubernetes.local\" addrs=[10.240.0.20] subnets=[10.200.0.0/24] uplink=\"\" file=\"\" metric=0\n" +
		"3 node-1 fqdn=\"node-1.kubernetes.local\" addrs=[10.240.0.21] subnets=[10.200.1.0/24] uplink=\"\" file=\"\" metric=0\n"
	for name, in := range map[string]string{
		"single spaces": "10.240.0.10 server.kubernetes.local server\n10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24\n10.240.0.21 node-1.kubernetes.local node-1 10.200.1.0/24\n",
		"aligned":       "10.240.0.10  server.kubernetes.local  server\n10.240.0.20  node-0.kubernetes.local  node-0  10.200.0.0/24\n10.240.0.21  node-1.kubernetes.local  node-1  10.200.1.0/24",
		"tabs":          "10.240.0.10\tserver.kubernetes.local\tserver\t\n\t10.240.0.20\tnode-0.kubernetes.local\tnode-0\t10.200.0.0/24\n10.240.0.21 \t node-1.kubernetes.local node-1 10.200.1.0/24\n",
		"crlf+bom":      "\uFEFF10.240.0.10 server.kubernetes.local server\r\n10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24\r\n10.240.0.21 node-1.kubernetes.local node-1 10.200.1.0/24\r\n",
		"comments":      "10.240.0.10 server.kubernetes.local server # the control plane\n10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24#no space\n10.240.0.21 node-1.kubernetes.local node-1 10.200.1.0/24 # \n# the end\n\n",
	} {
		for _, f := range []Format{FormatAuto, FormatMachines} {
			inv, err := Parse("machines.txt", []byte(in), f)
			if err != nil {
				t.Errorf("%s, %s: %v", name, f, err)
				continue
			}
			if got := dump(inv); got != want {
				t.Errorf("%s, %s:\ngot:\n%swant:\n%s", name, f, got, want)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]Format{
		"10.240.0.10 a a\n":                    FormatMachines,
		"# hosts:\n10.240.0.10 a a\n":          FormatMachines,
		"":                                     FormatMachines,
		"\uFEFF \n{\"kind\": \"List\"}":        FormatKubectl,
		"\n\t{}":                               FormatKubectl,
		"# inventory\n\nhosts:\n  - name: a\n": FormatYAML,
		"defaults: {metric: 5}\n":              FormatYAML,
		"---\nhosts: []\n":                     FormatYAML,
		"  hosts:\n":                           FormatYAML,
		"node: node-0\nroutes:\n":              FormatYAML, // a routes.yaml: its keys are named
		"hostz:\n  - name: a\n":                FormatYAML,
		"fd00::10 a a\n":                       FormatMachines,
		"fd00:0:0::10 a a\n":                   FormatMachines,
		"dead:beef::1 a a\n":                   FormatMachines,
		"node-0 10.240.0.20\n":                 FormatMachines,
	} {
		text, _ := infile.Text(&diag.List{}, []byte(in))
		if got := detect(text); got != want {
			t.Errorf("detect(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatAuto, "auto": FormatAuto, "machines": FormatMachines, "yaml": FormatYAML, "kubectl": FormatKubectl} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("json"); err == nil || !strings.Contains(err.Error(), `unknown inventory format "json"`) {
		t.Errorf("ParseFormat(json) error = %v", err)
	}
	if _, err := Parse("x", []byte("10.240.0.10 a a\n"), Format("toml")); err == nil {
		t.Error("Parse with an unknown format succeeded")
	}
}
