// Package logtest is a logger for tests: a logs.Logger that keeps every
// line it is told, and says how many contain a text, so that a test can
// check that a problem is logged once; and Writer, for output that
// several goroutines write.
package logtest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podroutes/podroutes/internal/logs"
)

var _ logs.Logger = (*Lines)(nil)

// Lines keeps what it is told; safe for concurrent use. With T set, each
// line also goes to the test's log.
type Lines struct {
	T     testing.TB
	mu    sync.Mutex
	lines []string
}

func (l *Lines) add(level, format string, args []any) {
	s := level + fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	if l.T != nil {
		l.T.Log(s)
	}
}

func (l *Lines) Infof(format string, args ...any)  { l.add("", format, args) }
func (l *Lines) Warnf(format string, args ...any)  { l.add("warning: ", format, args) }
func (l *Lines) Errorf(format string, args ...any) { l.add("error: ", format, args) }

// Count is how many lines contain s.
func (l *Lines) Count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// Wait waits up to d for a line containing s, and fails the test if none
// comes.
func (l *Lines) Wait(t testing.TB, s string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); l.Count(s) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no log line with %q after %s; the log:\n%s", s, d, l)
		}
	}
}

// String is every line, in order.
func (l *Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
