package notifytest

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestServe: each notification sent to the socket reaches f, in order.
func TestServe(t *testing.T) {
	got := make(chan string, 2)
	conn, err := Serve(filepath.Join(t.TempDir(), "notify.sock"), func(s string) { got <- s })
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send, err := net.Dial("unixgram", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	for _, want := range []string{"READY=1\nSTATUS=one", "STATUS=two"} {
		if _, err := send.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			if s != want {
				t.Errorf("notification %q, want %q", s, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q not handed on within 5 s", want)
		}
	}
}
