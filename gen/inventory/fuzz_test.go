package inventory

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
)

// fuzzSeeds adds the testdata files and the problem cases as seeds.
func fuzzSeeds(f *testing.F, cases []problemCase, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range cases {
		f.Add([]byte(c.in))
	}
}

// checkParse parses data and checks that Parse kept its promises: no panic;
// on error, a *diag.Error whose every problem names the file and a line
// within it; on success, hosts that validate again.
func checkParse(t *testing.T, data []byte, format Format) {
	const name = "fuzz.inv"
	lines := bytes.Count(data, []byte("\n")) + 1
	inv, err := Parse(name, data, format)
	if err != nil {
		var de *diag.Error
		if !errors.As(err, &de) || len(de.Problems) == 0 {
			t.Fatalf("error %T %v is not a non-empty *diag.Error", err, err)
		}
		for _, p := range de.Problems {
			if p.File != name || p.Line < 0 || p.Line > lines || p.Msg == "" {
				t.Fatalf("bad problem %+v (file has %d lines)", p, lines)
			}
		}
		return
	}
	if inv.Source != name || len(inv.Hosts) == 0 {
		t.Fatalf("Parse = %+v, want hosts from %s", inv, name)
	}
	l := &diag.List{File: name}
	validate(l, inv.Hosts, nil)
	if err := l.Err(); err != nil {
		t.Fatalf("parsed inventory does not validate again:\n%v", err)
	}
	for _, h := range inv.Hosts {
		if h.Line < 1 || h.Line > lines {
			t.Fatalf("host %q on line %d of %d", h.Name, h.Line, lines)
		}
	}
}

func FuzzParseMachines(f *testing.F) {
	fuzzSeeds(f, machinesCases, "machines.txt", "machines-dual.txt")
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, data, FormatMachines) })
}

func FuzzParseYAML(f *testing.F) {
	fuzzSeeds(f, yamlCases, "inventory.yaml")
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, data, FormatYAML) })
}

func FuzzParseKubectl(f *testing.F) {
	fuzzSeeds(f, kubectlCases, "nodes.json", "node.json")
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, data, FormatKubectl) })
}

// FuzzParseAuto runs format detection on top of the three parsers.
func FuzzParseAuto(f *testing.F) {
	fuzzSeeds(f, nil, "machines.txt", "inventory.yaml", "nodes.json")
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, data, FormatAuto) })
}
