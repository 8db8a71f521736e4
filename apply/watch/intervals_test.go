package watch

import (
	"testing"
	"time"
)

// TestCheckIntervals: a resync or debounce below its minimum is refused,
// naming its flag; the minimums and the defaults are taken.
func TestCheckIntervals(t *testing.T) {
	for _, tc := range []struct {
		resync, debounce time.Duration
		want             string
	}{
		{DefaultResync, DefaultDebounce, ""},
		{MinResync, MinDebounce, ""},
		{999 * time.Millisecond, DefaultDebounce, "--resync 999ms: want a duration of 1s or more"},
		{DefaultResync, 0, "--debounce 0s: want a duration of 1ms or more"},
	} {
		got := ""
		if err := CheckIntervals(tc.resync, tc.debounce); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s, %s: %q, want %q (\"\": nil)", tc.resync, tc.debounce, got, tc.want)
		}
	}
}
