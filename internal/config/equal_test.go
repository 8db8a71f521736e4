package config

import (
	"net/netip"
	"reflect"
	"testing"
)

// TestEqualSeesEveryField: a config that differs from another in any one
// field, whichever, is not Equal to it. Each field is changed through
// reflection, so a field added to Config is changed too, and the test
// fails until Equal compares it (or, for a kind it cannot change yet,
// until the test is taught how).
func TestEqualSeesEveryField(t *testing.T) {
	base := Config{Node: "node-0", Metric: 100, Device: "eth0", OffLink: OffLinkVXLAN, Address: netip.MustParseAddr("10.240.0.20"), Routes: []Route{
		{Destination: netip.MustParsePrefix("10.200.1.0/24"), Gateway: netip.MustParseAddr("10.240.0.21"), Peer: "node-1", Line: 4},
	}}
	if !base.Equal(base) {
		t.Fatal("a config is not Equal to itself")
	}
	copyOf := func(c Config) Config {
		c.Routes = append([]Route(nil), c.Routes...)
		return c
	}
	if !base.Equal(copyOf(base)) {
		t.Fatal("a config is not Equal to a copy of it")
	}
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		c := copyOf(base)
		if !change(reflect.ValueOf(&c).Elem().Field(i)) {
			t.Fatalf("Config.%s is a %s: teach this test to change it, and Equal to compare it", typ.Field(i).Name, typ.Field(i).Type)
		}
		if base.Equal(c) || c.Equal(base) {
			t.Errorf("configs differing in %s are Equal: Equal does not compare it", typ.Field(i).Name)
		}
	}
	// A route's every field counts: routes are compared whole (==).
	rtyp := reflect.TypeFor[Route]()
	for i := range rtyp.NumField() {
		c := copyOf(base)
		if !change(reflect.ValueOf(&c.Routes[0]).Elem().Field(i)) {
			t.Fatalf("Route.%s is a %s: teach this test to change it", rtyp.Field(i).Name, rtyp.Field(i).Type)
		}
		if base.Equal(c) {
			t.Errorf("configs whose route differs in %s are Equal", rtyp.Field(i).Name)
		}
	}
}

// change makes f differ from what it was, and reports whether it knew
// how for f's kind.
func change(f reflect.Value) bool {
	switch f.Kind() {
	case reflect.String:
		f.SetString(f.String() + "x")
	case reflect.Uint32:
		f.SetUint(f.Uint() + 1)
	case reflect.Int:
		f.SetInt(f.Int() + 1)
	case reflect.Bool:
		f.SetBool(!f.Bool())
	case reflect.Slice:
		f.Set(reflect.Append(f, reflect.Zero(f.Type().Elem())))
	case reflect.Struct: // netip values, set in the base: zero differs
		f.Set(reflect.Zero(f.Type()))
	default:
		return false
	}
	return true
}
