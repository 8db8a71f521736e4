package notify

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func logAll(l *Logger) {
	l.Debugf("looking at %s", "eth0")
	l.Infof("route %s installed", "10.200.1.0/24")
	l.Warnf("gateway %s not on a connected subnet", "10.240.0.21")
	l.Errorf("config:\n%s\n", "a:1: x\na:2: y")
}

func TestLoggerPlain(t *testing.T) {
	t.Setenv("JOURNAL_STREAM", "")
	var b strings.Builder
	logAll(NewLogger(&b))
	want := "debug: looking at eth0\n" +
		"route 10.200.1.0/24 installed\n" +
		"warning: gateway 10.240.0.21 not on a connected subnet\n" +
		"error: config:\na:1: x\na:2: y\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

const journalLines = "<7>debug: looking at eth0\n" +
	"<6>route 10.200.1.0/24 installed\n" +
	"<4>warning: gateway 10.240.0.21 not on a connected subnet\n" +
	"<3>error: config:\n<3>a:1: x\n<3>a:2: y\n"

func TestLoggerJournal(t *testing.T) {
	var b strings.Builder
	logAll(&Logger{w: &b, journal: true})
	if b.String() != journalLines {
		t.Errorf("got\n%s\nwant\n%s", b.String(), journalLines)
	}
}

// TestLoggerJournalStderr: stderr is the journal only when it is the
// stream JOURNAL_STREAM names; any other writer never is.
func TestLoggerJournalStderr(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		stream  string
		journal bool
	}{
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino), true},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino+1), false},
		{"", false},
	} {
		t.Setenv("JOURNAL_STREAM", tt.stream)
		if got := NewLogger(os.Stderr).journal; got != tt.journal {
			t.Errorf("JOURNAL_STREAM=%q: journal = %t, want %t", tt.stream, got, tt.journal)
		}
		if NewLogger(&strings.Builder{}).journal {
			t.Errorf("JOURNAL_STREAM=%q: a strings.Builder counts as the journal", tt.stream)
		}
	}
}

func TestLoggerConcurrent(t *testing.T) {
	var b strings.Builder
	l := &Logger{w: &b, journal: true}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				l.Infof("worker %d line %d", i, j)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("got %d lines, want 800", len(lines))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "<6>worker ") {
			t.Fatalf("torn line %q", line)
		}
	}
}
