package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Fatalf ends the goroutine, as testing's does: check runs Check in one.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// TestCheck: the same bytes pass, other bytes or a missing file are
// reported, and -update writes the file (and its directory) so that the
// same bytes then pass.
func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	check := func(got string) []string {
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Check(r, path, []byte(got))
		}()
		<-done
		return r.errors
	}
	if errs := check("a\n"); len(errs) != 1 || !strings.Contains(errs[0], "-update creates it") {
		t.Errorf("missing file: %q, want one error naming -update", errs)
	}

	*update = true
	errs := check("a\n")
	*update = false
	if data, err := os.ReadFile(path); len(errs) != 0 || err != nil || string(data) != "a\n" {
		t.Errorf("-update: errors %q, file %q (%v), want the file written", errs, data, err)
	}

	if errs := check("a\n"); len(errs) != 0 {
		t.Errorf("same bytes: %q, want no error", errs)
	}
	if errs := check("b\n"); len(errs) != 1 || !strings.Contains(errs[0], path+" differs") {
		t.Errorf("other bytes: %q, want one error naming %s", errs, path)
	}
}
