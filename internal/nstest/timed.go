package nstest

import (
	"testing"
	"time"
)

// Timed logs how long the restore of what took, and fails the test above
// one second: the bound every test of a repair holds podroutes to, far
// above the milliseconds it takes, so that only a repair that waited for
// a timer (a retry, a resync) instead of an event fails.
func Timed(t testing.TB, what string, d time.Duration) {
	t.Helper()
	t.Logf("%s: restored in %s", what, d.Round(100*time.Microsecond))
	if d > time.Second {
		t.Errorf("%s: restored in %s, want under 1s", what, d)
	}
}
