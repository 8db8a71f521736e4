package notify

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/podroutes/podroutes/internal/logs"
)

// Logger writes lines for a person to read. When its writer is the journal
// (systemd connected stderr to it, as JOURNAL_STREAM says) it prefixes
// every line with its syslog priority, "<3>" for errors to "<7>" for
// debug, so the journal keeps each line's level. A Logger is safe for
// concurrent use; each message is written in one Write.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	journal bool
}

// A Logger is what the packages that log ask for.
var _ logs.Logger = (*Logger)(nil)

// NewLogger returns a Logger writing to w. w counts as the journal only if
// it is os.Stderr and stderr is the journal's stream
// (journal.StderrIsJournalStream): a child whose stderr was redirected
// inherits JOURNAL_STREAM but not the stream.
func NewLogger(w io.Writer) *Logger {
	isJournal := false
	if w == os.Stderr {
		isJournal, _ = journal.StderrIsJournalStream()
	}
	return &Logger{w: w, journal: isJournal}
}

// Debugf logs details a person debugging a run wants.
func (l *Logger) Debugf(format string, args ...any) {
	l.logf(journal.PriDebug, "debug: ", format, args)
}

// Infof logs what a run did.
func (l *Logger) Infof(format string, args ...any) { l.logf(journal.PriInfo, "", format, args) }

// Warnf logs what a run did not do but could live without.
func (l *Logger) Warnf(format string, args ...any) {
	l.logf(journal.PriWarning, "warning: ", format, args)
}

// Errorf logs why a run failed.
func (l *Logger) Errorf(format string, args ...any) { l.logf(journal.PriErr, "error: ", format, args) }

func (l *Logger) logf(prio journal.Priority, level, format string, args []any) {
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
