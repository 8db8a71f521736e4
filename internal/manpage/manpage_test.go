package manpage

import (
	"strings"
	"testing"
)

// TestExtraFilled: every placeholder of man.roff is filled in; METRIC is
// left only inside PODROUTES_METRICS_ADDRESS, which fills in whole.
func TestExtraFilled(t *testing.T) {
	page := Extra()
	for _, p := range []string{"ENV_LOCK", "ENV_METRICS_ADDRESS", "PASS_LOCK", "MEMORY_LIMIT", "ROUTES_YAML",
		"INVENTORY", "PROTOCOL", "PROTONAME", "DROPIN", "TEXTFILE"} {
		if strings.Contains(page, p) {
			t.Errorf("placeholder %s left in the page", p)
		}
	}
	if n, want := strings.Count(page, "METRIC"), strings.Count(page, "PODROUTES_METRICS_ADDRESS"); n != want || want == 0 {
		t.Errorf("METRIC %d times, PODROUTES_METRICS_ADDRESS %d: want METRIC filled in elsewhere", n, want)
	}
	for _, want := range []string{"\n.B PODROUTES_LOCK\n", "/run/podroutes/lock-INO", "Protocol=157, Metric=100", "32 MiB"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestDescription: each command's description is its file without the
// last newline (urfave/cli adds its own), and a command without one
// panics rather than render an empty section.
func TestDescription(t *testing.T) {
	for _, name := range []string{"podroutes", "gen", "apply", "check", "remove", "watch"} {
		d := Description(name)
		if d == "" || strings.HasSuffix(d, "\n") {
			t.Errorf("Description(%q) = %q: want text without a last newline", name, d)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Description of a command without a file did not panic")
		}
	}()
	Description("validate")
}
