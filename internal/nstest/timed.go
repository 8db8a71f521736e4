package nstest

import (
	"testing"
	"time"
)

// Patience bounds every wait of a test for what the kernel, a process or
// a server does: a failure bound, never a figure, long enough that a
// loaded machine (-race on two cores beside the boot tests) never reaches
// it. How fast podroutes is, `make bench` measures; a test that needs a
// timing exactly runs on a fake clock.
const Patience = 10 * time.Second

// Timed logs how long the restore of what took, and fails the test past
// Patience: a repair that waited for the periodic resync (minutes)
// instead of an event fails, and the milliseconds it takes are logged.
func Timed(t testing.TB, what string, d time.Duration) {
	t.Helper()
	t.Logf("%s: restored in %s", what, d.Round(100*time.Microsecond))
	if d > Patience {
		t.Errorf("%s: restored in %s, want under %s", what, d, Patience)
	}
}
