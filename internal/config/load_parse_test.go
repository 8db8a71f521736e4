package config

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/podroutes/podroutes/internal/diag"
)

// problem is one expected diagnostic: its line and a substring of its message.
type problem struct {
	line int
	msg  string
}

// parseErrorTest is a bad routes.yaml and what Parse says of it.
type parseErrorTest struct {
	name string
	in   string
	want []problem
}

// byteErrorTests are the inputs a text file should not hold; the others
// are in testdata/parse_errors.txtar.
var byteErrorTests = []parseErrorTest{
	{"binary", "node: a\x00b\n", []problem{{1, "binary input: NUL byte"}}},
	{"latin1", "# ok\nnode: caf\xe9\n", []problem{{2, "invalid UTF-8"}}},
}

// parseErrorTests returns every bad routes.yaml with its problems: the
// byteErrorTests, then those of testdata/parse_errors.txtar.
func parseErrorTests(tb testing.TB) []parseErrorTest {
	tb.Helper()
	const path = "testdata/parse_errors.txtar"
	a, err := txtar.ParseFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	tests := slices.Clone(byteErrorTests)
	for i := 0; i < len(a.Files); i += 2 {
		name, ok := strings.CutSuffix(a.Files[i].Name, "/routes.yaml")
		if !ok || i+1 == len(a.Files) || a.Files[i+1].Name != name+"/want" {
			tb.Fatalf("%s: %s: want NAME/routes.yaml, then NAME/want", path, a.Files[i].Name)
		}
		tt := parseErrorTest{name: name, in: string(a.Files[i].Data)}
		for _, l := range strings.Split(strings.TrimSpace(string(a.Files[i+1].Data)), "\n") {
			n, msg, ok := strings.Cut(l, ": ")
			line, err := strconv.Atoi(n)
			if !ok || err != nil {
				tb.Fatalf("%s: %s/want: %q is not LINE: MESSAGE", path, name, l)
			}
			tt.want = append(tt.want, problem{line, msg})
		}
		tests = append(tests, tt)
	}
	return tests
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("routes.yaml", []byte(tt.in))
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Parse = %+v, %v; want a *diag.Error", c, err)
			}
			if len(de.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(de.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				got := de.Problems[i]
				if got.File != "routes.yaml" || got.Line != w.line || !strings.Contains(got.Msg, w.msg) {
					t.Errorf("problem %d = %s; want routes.yaml:%d: ...%s...", i, got, w.line, w.msg)
				}
			}
		})
	}
}

// BenchmarkParse20000 loads a 20000-route routes.yaml as gen writes it: the
// fast path's cost, which bounds apply's start-up on a large cluster.
func BenchmarkParse20000(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("# generated\nnode: node-0\nmetric: 100\nroutes:\n")
	for i := range 20000 {
		fmt.Fprintf(&buf, "  - destination: 10.%d.%d.0/24\n    gateway: 10.240.%d.%d\n    peer: node-%d\n", 100+i>>8, i&255, i>>8, 1+i&127, i)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("routes.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
