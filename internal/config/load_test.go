package config

import (
	"bytes"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/route"
)

func TestParseTestdata(t *testing.T) {
	pfx, addr := netip.MustParsePrefix, netip.MustParseAddr
	tests := []struct {
		file string
		want Config
	}{
		{"node-0.yaml", Config{Node: "node-0", Metric: 100, Routes: []Route{
			{Destination: pfx("10.200.1.0/24"), Gateway: addr("10.240.0.21"), Peer: "node-1", Line: 5},
		}}},
		{"server.yaml", Config{Node: "server", Metric: 50, Device: "eth0", Force: true, Routes: []Route{
			{Destination: pfx("10.200.0.0/16"), Gateway: addr("10.240.0.1"), Line: 17},
			{Destination: pfx("10.200.0.0/24"), Gateway: addr("10.240.0.20"), Peer: "node-0", Line: 14},
			{Destination: pfx("10.200.1.0/24"), Gateway: addr("10.240.0.21"), Peer: "node-1", OnLink: true, Line: 10},
			{Destination: pfx("fd00:200::/64"), Gateway: addr("fe80::20"), Line: 19},
			{Destination: pfx("fd00:200:1::/64"), Gateway: addr("fd00:240::21"), Peer: "node-1", Line: 7},
		}}},
		{"empty-routes.yaml", Config{Node: "lonely", Metric: route.DefaultMetric}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := load(filepath.Join("testdata", tt.file), false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	for _, in := range []string{
		"node: a\n",
		"node: a\nmetric: 0\n",
		"node: a\nmetric:\ndevice:\nforce:\nroutes:\n",
		"node: a\nroutes: []\n",
	} {
		c, err := Parse("x", []byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if want := (Config{Node: "a", Metric: route.DefaultMetric}); !reflect.DeepEqual(c, want) {
			t.Errorf("Parse(%q) = %+v, want %+v", in, c, want)
		}
	}
}

// TestRoundTrip writes each testdata config out with Write, as `podroutes
// gen` does, and parses it again: nothing but the lines may change.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range files {
		c, err := load(f, false)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Write(&out, c, f); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(f, out.Bytes())
		if err != nil {
			t.Fatalf("%s rendered:\n%s\n%v", f, out.Bytes(), err)
		}
		if a, b := withoutLines(c), withoutLines(again); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: round trip changed\n%+v\nto\n%+v", f, a, b)
		}
	}
}

func withoutLines(c Config) Config {
	c.Routes = append([]Route(nil), c.Routes...)
	for i := range c.Routes {
		c.Routes[i].Line = 0
	}
	return c
}

// writeConfig writes a valid config into a fresh directory with mode perm.
func writeConfig(t *testing.T, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	data, err := os.ReadFile("testdata/node-0.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // not subject to umask
		t.Fatal(err)
	}
	return path
}

// TestLoadRefuses: Load reads as infile.Read reads a trusted file (its
// tests cover every refusal): as root, a world-writable config is refused.
func TestLoadRefuses(t *testing.T) {
	path := writeConfig(t, 0o666)
	_, err := load(path, true)
	var de *diag.Error
	if !errors.As(err, &de) || len(de.Problems) != 1 || !strings.Contains(de.Problems[0].Msg, "refusing config: group- or world-writable") {
		t.Errorf("got %v, want the config refused", err)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "routes.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "reading config: ") {
		t.Errorf("got %v; want reading config: ...not exist", err)
	}
}

func TestLoadParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte("node: a\nmetric: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if want := path + ":2: metric \"x\": want"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v; want %s...", err, want)
	}
}
