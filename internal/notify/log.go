package notify

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Syslog priorities the journal reads from a "<N>" line prefix.
const (
	prioErr     = 3
	prioWarning = 4
	prioInfo    = 6
	prioDebug   = 7
)

// Logger writes lines for a person to read. When its writer is the journal
// (systemd sets JOURNAL_STREAM to the "dev:ino" of the stream it connected
// to stdout/stderr) it prefixes every line with its syslog priority, "<3>"
// for errors to "<7>" for debug, so the journal keeps each line's level.
// A Logger is safe for concurrent use; each message is written in one Write.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	journal bool
}

// NewLogger returns a Logger writing to w. If w is an *os.File it counts as
// the journal only if it is the stream JOURNAL_STREAM names; any other writer
// counts as the journal whenever JOURNAL_STREAM is set.
func NewLogger(w io.Writer) *Logger {
	return &Logger{w: w, journal: isJournal(w, os.Getenv("JOURNAL_STREAM"))}
}

func isJournal(w io.Writer, stream string) bool {
	if stream == "" {
		return false
	}
	f, ok := w.(*os.File)
	return !ok || sameFile(f, stream)
}

// Debugf logs details a person debugging a run wants.
func (l *Logger) Debugf(format string, args ...any) { l.logf(prioDebug, "debug: ", format, args) }

// Infof logs what a run did.
func (l *Logger) Infof(format string, args ...any) { l.logf(prioInfo, "", format, args) }

// Warnf logs what a run did not do but could live without.
func (l *Logger) Warnf(format string, args ...any) { l.logf(prioWarning, "warning: ", format, args) }

// Errorf logs why a run failed.
func (l *Logger) Errorf(format string, args ...any) { l.logf(prioErr, "error: ", format, args) }

func (l *Logger) logf(prio int, level, format string, args []any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	var b strings.Builder
	for i, line := range strings.Split(msg, "\n") {
		if l.journal {
			fmt.Fprintf(&b, "<%d>", prio)
		}
		if i == 0 {
			b.WriteString(level)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, b.String()) // a log line has nowhere to report its own failure
}
