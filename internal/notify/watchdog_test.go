package notify

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestWatchdog(t *testing.T) {
	conn := listen(t)
	if err := Watchdog(); err != nil {
		t.Fatal(err)
	}
	if got := conn.Next(t, time.Second); got != "WATCHDOG=1" {
		t.Errorf("got %q, want WATCHDOG=1", got)
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, tt := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"10000000", "", 5 * time.Second},
		{"10000000", strconv.Itoa(os.Getpid()), 5 * time.Second},
		{"10000000", "1", 0}, // another process's watchdog
	} {
		t.Setenv("WATCHDOG_USEC", tt.usec)
		t.Setenv("WATCHDOG_PID", tt.pid)
		got, err := WatchdogInterval()
		if err != nil || got != tt.want {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v; want %v", tt.usec, tt.pid, got, err, tt.want)
		}
	}
}
