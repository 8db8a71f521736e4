package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// checkLine is one line of `podroutes check --output json` (docs/check.md).
type checkLine struct {
	State, Destination, Path, Peer, Note string
	Want                                 *checkRoute
	Kernel                               []checkRoute
}

type checkRoute struct {
	Route, Destination, Gateway, Device string
	Protocol                            uint8
	Metric                              uint32
	OnLink                              bool
}

// TestCheckJSON: `check --output json` reports each route's state in
// check's words, the wanted route and the kernel's, with check's exit
// codes; an unknown format is bad usage.
func TestCheckJSON(t *testing.T) {
	ns, cfg, in := node0(t)
	check := func(code int) []checkLine {
		t.Helper()
		r := runBin(t, nil, in, "check", "--config", cfg, "--output", "json")
		expect(t, "check --output json", r, code)
		var lines []checkLine
		for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
			var c checkLine
			dec := json.NewDecoder(strings.NewReader(l))
			dec.DisallowUnknownFields() // docs/check.md's schema is the whole of it
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			lines = append(lines, c)
		}
		return lines
	}
	states := func(lines []checkLine) string {
		var s []string
		for _, l := range lines {
			s = append(s, l.Destination+" "+l.State)
		}
		return strings.Join(s, ", ")
	}

	if got := states(check(1)); got != "10.200.1.0/24 missing, 10.200.2.0/24 missing" {
		t.Errorf("before apply: %s", got)
	}
	expect(t, "apply", runBin(t, nil, in, "apply", "--config", cfg), 0)
	ns.IP(t, "route", "replace", "10.200.2.0/24", "via", "10.240.0.99", "proto", "static", "metric", "100")
	ns.IP(t, "route", "add", "10.200.9.0/24", "via", "10.240.0.29", "proto", "157")
	lines := check(1)
	if got := states(lines); got != "10.200.1.0/24 in place, 10.200.2.0/24 held by another owner, 10.200.9.0/24 stale" {
		t.Errorf("after apply and two changes: %s", got)
	}
	want := checkRoute{Route: "10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100", Destination: "10.200.1.0/24",
		Gateway: "10.240.0.21", Protocol: 157, Metric: 100}
	kernel := want
	kernel.Route, kernel.Device = "10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100", "eth0"
	if l := lines[0]; l.Peer != "node-1" || l.Want == nil || *l.Want != want || len(l.Kernel) != 1 || l.Kernel[0] != kernel {
		t.Errorf("in place: %+v, want %+v and kernel %+v", l, want, kernel)
	}
	if l := lines[1]; len(l.Kernel) != 1 || l.Kernel[0].Protocol != 4 || l.Kernel[0].Gateway != "10.240.0.99" {
		t.Errorf("held: %+v, want the kernel's static route via 10.240.0.99", l)
	}
	if l := lines[2]; l.Want != nil || l.Note != "no longer in the config" || len(l.Kernel) != 1 {
		t.Errorf("stale: %+v", l)
	}

	expect(t, "force", runBin(t, nil, in, "apply", "--config", cfg, "--force"), 0)
	if got := states(check(0)); got != "10.200.1.0/24 in place, 10.200.2.0/24 in place" {
		t.Errorf("in sync: %s", got)
	}
	expect(t, "unknown format", runBin(t, nil, in, "check", "--config", cfg, "--output", "yaml"), 2, `--output "yaml": want text or json`)
}

// TestForeignWinnerAfterApply: another owner's route added after apply,
// with a lower metric, takes the destination's traffic: check (text and
// JSON) and apply name it as a conflict, as they do when it came first,
// never "in place"; --force takes it over.
func TestForeignWinnerAfterApply(t *testing.T) {
	ns, cfg, in := node0(t)
	expect(t, "apply", runBin(t, nil, in, "apply", "--config", cfg), 0)
	ns.IP(t, "route", "add", "10.200.2.0/24", "via", "10.240.0.99", "proto", "static", "metric", "50")
	expect(t, "check", runBin(t, nil, in, "check", "--config", cfg), 1, "held by another owner")
	r := runBin(t, nil, in, "check", "--config", cfg, "--output", "json")
	expect(t, "check --output json", r, 1)
	var held checkLine
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var c checkLine
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if c.Destination == "10.200.2.0/24" {
			held = c
		}
	}
	gws := map[string]uint8{}
	for _, k := range held.Kernel {
		gws[k.Gateway] = k.Protocol
	}
	if held.State != "held by another owner" || len(gws) != 2 || gws["10.240.0.99"] != 4 || gws["10.240.0.22"] != 157 {
		t.Errorf("JSON of 10.200.2.0/24: %+v; want held by another owner, the kernel's static route and podroutes' own", held)
	}
	expect(t, "apply", runBin(t, nil, in, "apply", "--config", cfg), 1, "another owner (static) holds the destination")
	expect(t, "apply --force", runBin(t, nil, in, "apply", "--config", cfg, "--force"), 0)
	expect(t, "check after --force", runBin(t, nil, in, "check", "--config", cfg), 0)
	if got := ns.IP(t, "route", "show", "10.200.2.0/24"); strings.Contains(got, "static") {
		t.Errorf("after --force: %s; want the static route taken over", got)
	}
}
