// Package notify reports a podroutes run to systemd: its state through
// sd_notify(3) and its log lines in a form the journal keeps levels of.
package notify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Ready tells systemd the service is up: "READY=1\nSTATUS=<status>".
// Like Status and Failed, it sends nothing and returns nil when NOTIFY_SOCKET
// is unset, and returns an error only when sending failed.
func Ready(status string) error {
	return send(daemon.SdNotifyReady + "\nSTATUS=" + oneLine(status))
}

// Status sets the status line systemctl shows: "STATUS=<status>".
func Status(status string) error {
	return send("STATUS=" + oneLine(status))
}

// Failed reports why the service failed: "STATUS=<status>\nERRNO=<errno>",
// without ERRNO when errno <= 0.
func Failed(status string, errno int) error {
	state := "STATUS=" + oneLine(status)
	if errno > 0 {
		state += "\nERRNO=" + strconv.Itoa(errno)
	}
	return send(state)
}

// FailedWith tells systemd the command failed with err (Failed): ERRNO
// is the errno err carries, else EINVAL when input says err is bad input
// or usage, else EIO.
func FailedWith(err error, input bool) error {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
	case input:
		errno = syscall.EINVAL
	default:
		errno = syscall.EIO
	}
	return Failed(err.Error(), int(errno))
}

func send(state string) error {
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("notifying systemd: %w", err)
	}
	return nil
}

// oneLine keeps a status to one line: a newline in it would start another
// assignment (a status saying "\nREADY=1" must not make the service ready).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
