package logtest

import (
	"fmt"
	"io"
	"sync"
)

// Writer makes the writes of several goroutines to W one at a time: a
// command's output, or the lines of labs run at once, that a test (or a
// benchmark) reads while they are written.
type Writer struct {
	mu sync.Mutex
	W  io.Writer
}

func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.W.Write(p)
}

// String is W's String (W a *bytes.Buffer, say), read between writes; ""
// for a W that has none.
func (s *Writer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.W.(fmt.Stringer); ok {
		return w.String()
	}
	return ""
}
