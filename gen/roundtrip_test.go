package gen

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/podroutes/podroutes/internal/config"
)

// TestRoutesYAMLRoundTrip: what gen writes, apply's loader reads back as the
// planned config, and rendering that again changes nothing.
func TestRoutesYAMLRoundTrip(t *testing.T) {
	for _, in := range inputs {
		for _, n := range loadPlan(t, in) {
			var first bytes.Buffer
			if err := config.Write(&first, n.Config, in); err != nil {
				t.Fatal(err)
			}
			got, err := config.Parse("routes.yaml", first.Bytes())
			if err != nil {
				t.Fatalf("%s/%s: apply refuses what gen wrote: %v\n%s", in, n.Config.Node, err, first.Bytes())
			}
			for i := range got.Routes {
				got.Routes[i].Line = 0
			}
			if !reflect.DeepEqual(got, n.Config) {
				t.Errorf("%s/%s: read back\n%+v\nwant\n%+v", in, n.Config.Node, got, n.Config)
			}
			var second bytes.Buffer
			n.Config = got
			if err := config.Write(&second, n.Config, in); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Errorf("%s/%s: rendering the loaded config changed it", in, n.Config.Node)
			}
		}
	}
}
