package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/podroutes/podroutes/internal/route"

	"github.com/podroutes/podroutes/internal/diag"
)

// seed adds the test configs and the inputs of parseErrorTests to f's corpus.
func seed(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tt := range parseErrorTests {
		f.Add([]byte(tt.in))
	}
}

func FuzzParse(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			var de *diag.Error
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("error %v is not a non-empty *diag.Error", err)
			}
			for _, p := range de.Problems {
				if p.File != "f.yaml" || p.Line < 1 || p.Line > lines || p.Msg == "" {
					t.Errorf("problem %s outside the %d lines of the file", p, lines)
				}
			}
			return
		}
		if c.Node == "" || c.Metric == 0 {
			t.Errorf("accepted %+v without node or metric", c)
		}
		for i, r := range c.Routes {
			if r.Line < 1 || r.Line > lines || !r.Destination.IsValid() || !r.Gateway.IsValid() {
				t.Errorf("accepted route %+v", r)
			}
			if i > 0 && route.ComparePrefix(c.Routes[i-1].Destination, r.Destination) >= 0 {
				t.Errorf("routes not sorted, or duplicate: %v before %v", c.Routes[i-1], r)
			}
		}
	})
}

// FuzzFastAgrees: whatever the fast path accepts, the strict parser accepts
// as the same Config; and the fast path takes gen's own output.
func FuzzFastAgrees(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseFast("f.yaml", data)
		if !ok {
			return
		}
		strict, err := parseStrict("f.yaml", data)
		if err != nil {
			t.Fatalf("fast path accepted what the strict parser refuses: %v\n%s", err, data)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("fast path read\n%+v\nstrict parser read\n%+v\nfrom\n%s", fast, strict, data)
		}
	})
}

func TestFastPathTakesGenOutput(t *testing.T) {
	data, err := os.ReadFile("testdata/gen-server.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := parseFast("gen-server.yaml", data); !ok {
		t.Error("the fast path refused gen's output")
	}
}
