package metrics

import (
	"regexp"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/filetest"
	"github.com/podroutes/podroutes/internal/promtest"
)

const alertsFile = "../../examples/podroutes-alerts.yaml"

// TestAlertRules: the example alerting rules load (promtool check rules),
// alert when and only when they should (promtool test rules on
// testdata/alerts_test.yaml), use only metrics podroutes has, and are
// what docs/monitoring.md links to and names in its table.
func TestAlertRules(t *testing.T) {
	promtest.Promtool(t, "", "check", "rules", alertsFile)
	promtest.Promtool(t, "", "test", "rules", "testdata/alerts_test.yaml")

	data := filetest.Read(t, alertsFile)
	rules := string(data)
	m := New(Options{Watch: true})
	m.Applied(planned(reconcile.Result{}), nil) // the route gauges appear with a pass
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	used := regexp.MustCompile(`podroutes_[a-z_]+`).FindAllString(rules, -1)
	if len(used) == 0 {
		t.Fatalf("%s uses no podroutes metric", alertsFile)
	}
	for _, name := range used {
		if base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(name, ""); !have[name] && !have[base] {
			t.Errorf("%s uses %s, which podroutes does not export", alertsFile, name)
		}
	}

	const doc = "../../docs/monitoring.md"
	text := string(filetest.Read(t, doc))
	if !strings.Contains(text, "](../examples/podroutes-alerts.yaml)") {
		t.Errorf("%s does not link to %s", doc, alertsFile)
	}
	alerts := func(re, text string) string {
		var names []string
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(text, -1) {
			names = append(names, m[1])
		}
		return strings.Join(names, ", ")
	}
	if got, want := alerts("(?m)^\\| `(Podroutes[A-Za-z]+)` \\|", text), alerts(`(?m)^\s*- alert: (\S+)$`, rules); got != want {
		t.Errorf("%s's table names the alerts %s; %s has %s", doc, got, alertsFile, want)
	}
}
