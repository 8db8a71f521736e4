package logtest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// TestWriterSerializes: writes from several goroutines, read back while
// they are written, each whole (run with -race).
func TestWriterSerializes(t *testing.T) {
	w := &Writer{W: new(bytes.Buffer)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				w.Write([]byte("line\n"))
				_ = w.String()
			}
		}()
	}
	wg.Wait()
	if got := w.String(); got != strings.Repeat("line\n", 800) {
		t.Errorf("%d bytes written, want %d whole lines", len(got), 800)
	}
	if got := (&Writer{W: &strings.Builder{}}).String(); got != "" {
		t.Errorf("String of an empty builder: %q", got)
	}
}
