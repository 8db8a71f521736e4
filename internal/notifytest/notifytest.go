// Package notifytest is a systemd notify socket for tests: what a service
// under test sends to NOTIFY_SOCKET, read back.
package notifytest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Socket is a notify socket in a test's temporary directory.
type Socket struct {
	// Path is what NOTIFY_SOCKET names.
	Path string
	conn *net.UnixConn
}

// Listen opens a Socket, closed when the test ends.
func Listen(t testing.TB) *Socket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := listen(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Socket{Path: path, conn: conn}
}

// Serve opens a notify socket at path and hands each notification to f, in
// order, from a goroutine of its own until the socket is closed: Listen
// for a program without a testing.T (the benchmarks run watchers).
func Serve(path string, f func(string)) (*net.UnixConn, error) {
	conn, err := listen(path)
	if err != nil {
		return nil, err
	}
	go func() {
		buf := make([]byte, maxNotification)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			f(string(buf[:n]))
		}
	}()
	return conn, nil
}

func listen(path string) (*net.UnixConn, error) {
	return net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
}

// maxNotification is the most of a notification read: more than any
// service here sends (a STATUS= line and a few more).
const maxNotification = 1 << 16

// Env is the environment entry that points a service at s.
func (s *Socket) Env() string { return "NOTIFY_SOCKET=" + s.Path }

// Next returns the next notification, or "" if none comes within wait.
func (s *Socket) Next(t testing.TB, wait time.Duration) string {
	t.Helper()
	if err := s.conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, maxNotification)
	n, err := s.conn.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

// Wait returns the first notification that starts with want, within 5 s;
// the test fails, showing the others, if none does.
func (s *Socket) Wait(t testing.TB, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var seen []string
	for {
		got := s.Next(t, time.Until(deadline))
		switch {
		case strings.HasPrefix(got, want):
			return got
		case got == "" && !time.Now().Before(deadline):
			t.Fatalf("no notification starting %q within 5 s; got:\n%s", want, strings.Join(seen, "\n"))
		case got != "":
			seen = append(seen, got)
		}
	}
}
