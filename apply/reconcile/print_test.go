package reconcile_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/apply/reconcile/fake"
)

// TestReport shows every state as `podroutes check` prints it.
func TestReport(t *testing.T) {
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
	have, _ := reconcile.Have(context.Background(), k, want, nil)
	plan := reconcile.Diff(want, have, false)
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
