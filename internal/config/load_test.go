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
	"github.com/podroutes/podroutes/internal/filetest"
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
	data := filetest.Read(t, "testdata/node-0.yaml")
	filetest.Write(t, path, string(data), 0o600)
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
	filetest.Write(t, path, "node: a\nmetric: x\n", 0o644)
	_, err := Load(path)
	if want := path + ":2: metric \"x\": want"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v; want %s...", err, want)
	}
}

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
	for _, tt := range parseErrorTests(f) {
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

// FuzzFastAgrees holds the fast reader to the strict one and to the
// writer, both ways: whatever the fast path accepts, the strict parser
// accepts as the same Config; and whatever the strict parser accepts,
// Write writes in a shape the fast path takes (when it is plain ASCII,
// the fast path's domain), reading back the same Config.
func FuzzFastAgrees(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, fastOK := parseFast("f.yaml", data)
		strict, err := parseStrict("f.yaml", data)
		if fastOK && err != nil {
			t.Fatalf("fast path accepted what the strict parser refuses: %v\n%s", err, data)
		}
		if fastOK && !reflect.DeepEqual(fast, strict) {
			t.Fatalf("fast path read\n%+v\nstrict parser read\n%+v\nfrom\n%s", fast, strict, data)
		}
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, strict, "fuzz"); err != nil {
			t.Fatal(err)
		}
		again, ok := parseFast("f.yaml", out.Bytes())
		switch {
		case !ok && printableASCII(out.Bytes()):
			_, err := parseStrict("f.yaml", out.Bytes())
			t.Fatalf("the fast path refuses what Write wrote (strict: %v):\n%s\nfrom:\n%s", err, out.Bytes(), data)
		case ok && !reflect.DeepEqual(withoutLines(again), withoutLines(strict)):
			t.Fatalf("Write then the fast path read\n%+v\nthe strict parser read\n%+v", again, strict)
		}
	})
}

// TestGenOutputTakesTheFastPath: every routes.yaml of gen's golden trees
// (gen/testdata/golden: what `podroutes gen` writes for the golden
// inventories) and every config written by Write is read by the fast
// path, as the same Config the strict parser reads: a writer that drifts
// off the fast path fails here, not silently.
func TestGenOutputTakesTheFastPath(t *testing.T) {
	trees, _ := filepath.Glob("../../gen/testdata/golden/*.tree")
	if len(trees) == 0 {
		t.Fatal("no golden trees found")
	}
	n := 0
	for _, tree := range trees {
		data := filetest.Read(t, tree)
		for _, part := range strings.Split(string(data), "==> ")[1:] {
			head, body, _ := strings.Cut(part, " <==\n")
			if !strings.HasSuffix(head, "/etc/podroutes/routes.yaml") {
				continue
			}
			n++
			fastPath(t, tree+": "+head, []byte(strings.TrimSuffix(body, "\n\n")+"\n"))
		}
	}
	t.Logf("%d routes.yaml files from %d golden trees", n, len(trees))
	for _, c := range []Config{
		{Node: "n", Metric: 1},
		{Node: "server", Metric: 4294967295, Device: "eth0.100", Force: true, Routes: []Route{
			{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.240.0.21"), Peer: "node-1", OnLink: true},
			{Destination: netip.MustParsePrefix("fd00:200::/64"), Gateway: netip.MustParseAddr("fe80::20"), Peer: "yes"},
			{Destination: netip.MustParsePrefix("fd00:201::/64"), Gateway: netip.MustParseAddr("fd00::21")},
		}},
		{Node: "node-0", Metric: 100, OffLink: OffLinkVXLAN, Address: netip.MustParseAddr("fd00::20")},
		{Node: "1e3", Metric: 100, Device: "null", Routes: []Route{
			{Destination: netip.MustParsePrefix("10.0.0.0/8"), Gateway: netip.MustParseAddr("192.168.0.1"), Peer: "0x10"},
		}},
	} {
		var out bytes.Buffer
		if err := Write(&out, c, "test"); err != nil {
			t.Fatal(err)
		}
		got := fastPath(t, c.Node, out.Bytes())
		if !reflect.DeepEqual(withoutLines(got), c) {
			t.Errorf("wrote\n%+v\nread back\n%+v", c, got)
		}
	}
}

// fastPath checks that data takes the fast path and reads as the strict
// parser reads it, and returns the Config.
func fastPath(t *testing.T, name string, data []byte) Config {
	t.Helper()
	fast, ok := parseFast(name, data)
	if !ok {
		_, err := parseStrict(name, data)
		t.Fatalf("%s: the fast path refuses it (the strict parser: %v):\n%s", name, err, data)
	}
	strict, err := parseStrict(name, data)
	if err != nil || !reflect.DeepEqual(fast, strict) {
		t.Fatalf("%s: fast path read %+v, strict parser %+v, %v", name, fast, strict, err)
	}
	return fast
}
