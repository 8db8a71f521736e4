package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
)

// reportPlan is a plan with a destination in every state but unreachable
// (TestLeavesByTheLinkThatReaches has that one).
func reportPlan() reconcile.Plan {
	k := fake.New(
		"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100",
		"10.200.2.0/24 via 10.240.0.99 dev eth0 proto podroutes metric 100",
		"10.200.4.0/24 via 10.240.0.98 dev eth0 proto bird metric 32",
		"10.200.5.0/24 via 10.240.0.25 dev eth0 proto podroutes metric 50",
		"10.200.9.0/24 via 10.240.0.29 dev eth0 proto podroutes metric 100",
		"10.100.0.0/16 via 10.240.0.1 dev eth0 proto static",
	)
	want := wants(
		"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100 # node-1",
		"10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100 # node-2",
		"10.200.3.0/24 via 10.240.0.23 proto podroutes metric 100 # node-3",
		"10.200.4.0/24 via 10.240.0.24 proto podroutes metric 100 # node-4",
		"10.200.5.0/24 via 10.240.0.25 proto podroutes metric 100 # node-5",
	)
	have, _ := reconcile.Have(context.Background(), k, want)
	return reconcile.Diff(want, have, false)
}

// TestReport shows every state as `podroutes check` prints it.
func TestReport(t *testing.T) {
	plan := reportPlan()
	var out bytes.Buffer
	if err := plan.WriteReport(&out); err != nil {
		t.Fatal(err)
	}
	const report = `in place  10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100  # node-1
different gateway  10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100  # node-2
  kernel has  10.200.2.0/24 via 10.240.0.99 dev eth0 proto podroutes metric 100
missing  10.200.3.0/24 via 10.240.0.23 proto podroutes metric 100  # node-3
held by another owner  10.200.4.0/24 via 10.240.0.24 proto podroutes metric 100  # node-4
  kernel has  10.200.4.0/24 via 10.240.0.98 dev eth0 proto bird metric 32
different metric  10.200.5.0/24 via 10.240.0.25 proto podroutes metric 100  # node-5
  kernel has  10.200.5.0/24 via 10.240.0.25 dev eth0 proto podroutes metric 50
stale  10.200.9.0/24 via 10.240.0.29 dev eth0 proto podroutes metric 100  # no longer in the config
`
	if out.String() != report {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), report)
	}
	if plan.InSync() {
		t.Error("plan in sync, want drift")
	}
	out.Reset()
	if err := plan.WriteWrites(&out); err != nil {
		t.Fatal(err)
	}
	const writes = `replace  10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100  # node-2, was different gateway
add      10.200.3.0/24 via 10.240.0.23 proto podroutes metric 100  # node-3
leave    10.200.4.0/24 via 10.240.0.24 proto podroutes metric 100  # held by another owner
add      10.200.5.0/24 via 10.240.0.25 proto podroutes metric 100  # node-5, was different metric
delete   10.200.5.0/24 via 10.240.0.25 dev eth0 proto podroutes metric 50  # node-5, was different metric
delete   10.200.9.0/24 via 10.240.0.29 dev eth0 proto podroutes metric 100  # no longer in the config
`
	if out.String() != writes {
		t.Errorf("writes:\n%s\nwant:\n%s", out.String(), writes)
	}
	for _, s := range []string{"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100 onlink", "::/0 proto 201 metric 1024"} {
		if r := fake.MustParse(s); r.String() != s {
			t.Errorf("MustParse(%q).String() = %q", s, r)
		}
	}
}

// TestReportJSON: `check --output json` says what the text report says,
// line for line, with the wanted route's fields and the kernel's.
func TestReportJSON(t *testing.T) {
	var out bytes.Buffer
	if err := reportPlan().WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	const kernel1 = `{"route":"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100","destination":"10.200.1.0/24","gateway":"10.240.0.21","device":"eth0","protocol":157,"metric":100,"onlink":false}`
	const want = `{"state":"in place","destination":"10.200.1.0/24","path":"direct","peer":"node-1","note":"","want":{"route":"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100","destination":"10.200.1.0/24","gateway":"10.240.0.21","device":"","protocol":157,"metric":100,"onlink":false},"kernel":[` + kernel1 + `]}
{"state":"different gateway","destination":"10.200.2.0/24","path":"direct","peer":"node-2","note":"","want":{"route":"10.200.2.0/24 via 10.240.0.22 proto podroutes metric 100","destination":"10.200.2.0/24","gateway":"10.240.0.22","device":"","protocol":157,"metric":100,"onlink":false},"kernel":[{"route":"10.200.2.0/24 via 10.240.0.99 dev eth0 proto podroutes metric 100","destination":"10.200.2.0/24","gateway":"10.240.0.99","device":"eth0","protocol":157,"metric":100,"onlink":false}]}
{"state":"missing","destination":"10.200.3.0/24","path":"direct","peer":"node-3","note":"","want":{"route":"10.200.3.0/24 via 10.240.0.23 proto podroutes metric 100","destination":"10.200.3.0/24","gateway":"10.240.0.23","device":"","protocol":157,"metric":100,"onlink":false},"kernel":[]}
{"state":"held by another owner","destination":"10.200.4.0/24","path":"direct","peer":"node-4","note":"","want":{"route":"10.200.4.0/24 via 10.240.0.24 proto podroutes metric 100","destination":"10.200.4.0/24","gateway":"10.240.0.24","device":"","protocol":157,"metric":100,"onlink":false},"kernel":[{"route":"10.200.4.0/24 via 10.240.0.98 dev eth0 proto bird metric 32","destination":"10.200.4.0/24","gateway":"10.240.0.98","device":"eth0","protocol":12,"metric":32,"onlink":false}]}
{"state":"different metric","destination":"10.200.5.0/24","path":"direct","peer":"node-5","note":"","want":{"route":"10.200.5.0/24 via 10.240.0.25 proto podroutes metric 100","destination":"10.200.5.0/24","gateway":"10.240.0.25","device":"","protocol":157,"metric":100,"onlink":false},"kernel":[{"route":"10.200.5.0/24 via 10.240.0.25 dev eth0 proto podroutes metric 50","destination":"10.200.5.0/24","gateway":"10.240.0.25","device":"eth0","protocol":157,"metric":50,"onlink":false}]}
{"state":"stale","destination":"10.200.9.0/24","path":"direct","peer":"","note":"no longer in the config","want":null,"kernel":[{"route":"10.200.9.0/24 via 10.240.0.29 dev eth0 proto podroutes metric 100","destination":"10.200.9.0/24","gateway":"10.240.0.29","device":"eth0","protocol":157,"metric":100,"onlink":false}]}
`
	if out.String() != want {
		t.Errorf("JSON report:\n%s\nwant:\n%s", out.String(), want)
	}
	// Each line is one JSON object whose state starts its text line.
	var text bytes.Buffer
	if err := reportPlan().WriteReport(&text); err != nil {
		t.Fatal(err)
	}
	var heads []string
	for _, l := range strings.Split(text.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, " ") {
			heads = append(heads, l)
		}
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(heads) {
		t.Fatalf("%d JSON lines, %d text lines", len(lines), len(heads))
	}
	for i, l := range lines {
		var v struct{ State string }
		if err := json.Unmarshal([]byte(l), &v); err != nil || !strings.HasPrefix(heads[i], v.State+"  ") {
			t.Errorf("JSON line %d: state %q (%v), text line %q", i+1, v.State, err, heads[i])
		}
	}
}
