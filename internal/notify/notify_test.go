package notify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podroutes/podroutes/internal/notifytest"
)

// listen opens a notify socket and points NOTIFY_SOCKET at it.
func listen(t *testing.T) *notifytest.Socket {
	sd := notifytest.Listen(t)
	t.Setenv("NOTIFY_SOCKET", sd.Path)
	return sd
}

func TestNotify(t *testing.T) {
	for _, tt := range []struct {
		name string
		send func() error
		want string
	}{
		{"ready", func() error { return Ready("3 routes installed") }, "READY=1\nSTATUS=3 routes installed"},
		{"status", func() error { return Status("waiting for eth0") }, "STATUS=waiting for eth0"},
		{"failed", func() error { return Failed("gateway 10.240.0.21 unreachable", 101) }, "STATUS=gateway 10.240.0.21 unreachable\nERRNO=101"},
		{"failed no errno", func() error { return Failed("bad config", 0) }, "STATUS=bad config"},
		{"failed negative errno", func() error { return Failed("bad config", -1) }, "STATUS=bad config"},
		{"one line", func() error { return Status("a\nREADY=1\n") }, "STATUS=a READY=1"},
		{"failed with errno", func() error { return FailedWith(&os.PathError{Op: "open", Path: "/run/x", Err: unix.EPERM}, true) },
			"STATUS=open /run/x: operation not permitted\nERRNO=1"},
		{"failed with bad input", func() error { return FailedWith(errors.New("bad config"), true) }, "STATUS=bad config\nERRNO=22"},
		{"failed with failure", func() error { return FailedWith(errors.New("lost"), false) }, "STATUS=lost\nERRNO=5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := listen(t)
			if err := tt.send(); err != nil {
				t.Fatal(err)
			}
			if got := conn.Next(t, 5*time.Second); got != tt.want {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNotifyWithoutSocket(t *testing.T) {
	conn := listen(t)
	t.Setenv("NOTIFY_SOCKET", "") // as if unset: SdNotify reads it with Getenv
	for _, send := range []func() error{
		func() error { return Ready("x") },
		func() error { return Status("x") },
		func() error { return Failed("x", 1) },
	} {
		if err := send(); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	}
	if got := conn.Next(t, 100*time.Millisecond); got != "" {
		t.Errorf("sent %q without NOTIFY_SOCKET", got)
	}
}

func TestNotifyError(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone.sock"))
	err := Ready("x")
	if err == nil || !strings.HasPrefix(err.Error(), "notifying systemd: ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want notifying systemd: ...no such file", err)
	}
}
