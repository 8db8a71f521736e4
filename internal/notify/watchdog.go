package notify

import (
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// WatchdogInterval is how often a long-running command must call Watchdog:
// half of the unit's WatchdogSec=, or 0 when systemd expects no pings (no
// WatchdogSec=, or WATCHDOG_PID names another process).
func WatchdogInterval() (time.Duration, error) {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return 0, fmt.Errorf("reading WATCHDOG_USEC: %w", err)
	}
	return d / 2, nil
}

// Watchdog tells systemd the service is alive: "WATCHDOG=1".
func Watchdog() error {
	return send(daemon.SdNotifyWatchdog)
}
