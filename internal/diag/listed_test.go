package diag

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestBrief: a joined error of more than Listed problems prints the first
// Listed and a line counting the rest; errors.Is still finds the last;
// fewer problems come back as they are.
func TestBrief(t *testing.T) {
	last := errors.New("problem 150")
	var errs []error
	for i := 1; i < 150; i++ {
		errs = append(errs, fmt.Errorf("problem %d", i))
	}
	err := errors.Join(errors.Join(errs[:50]...), errors.Join(append(errs[50:], last)...))
	if got := Split(err); len(got) != 150 || got[0] != "problem 1" || got[149] != "problem 150" {
		t.Fatalf("Split: %d problems, %q ... %q; want 150, problem 1 ... problem 150", len(got), got[0], got[len(got)-1])
	}
	lines := strings.Split(Brief(err).Error(), "\n")
	if len(lines) != Listed+1 || lines[Listed-1] != "problem 100" || lines[Listed] != "... and 50 more problems (the first 100 are listed)" {
		t.Errorf("Brief: %d lines, ending %q; want %d, the count line last", len(lines), lines[len(lines)-1], Listed+1)
	}
	if !errors.Is(Brief(err), last) {
		t.Error("Brief hides the problems it does not list from errors.Is")
	}
	if got := Brief(errors.Join(errs[:Listed+1]...)).Error(); !strings.HasSuffix(got, "\n... and 1 more problem (the first 100 are listed)") {
		t.Errorf("Brief of %d problems ends %q, want one more problem counted", Listed+1, got[strings.LastIndex(got, "\n")+1:])
	}
	few := errors.Join(errs[:Listed]...)
	if Brief(few) != few || Brief(nil) != nil {
		t.Error("Brief changed an error of no more than Listed problems")
	}
}
