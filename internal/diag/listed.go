package diag

import (
	"fmt"
	"strings"
)

// Listed is how many writes, or problems, podroutes lists one by one for a
// pass; one line counts the rest. A link flap under 5000 routes would
// otherwise put 5000 lines in the journal at each heal (and an uplink
// still down after apply's --wait, 5000 unreachable routes), and
// journald's rate limit (10000 lines in 30 s by default) then drops
// lines, errors among them.
const Listed = 100

// More is the line that counts the n things (a noun, singular) not
// listed: "... and 4900 more writes (the first 100 are listed)".
func More(n int, noun string) string {
	return fmt.Sprintf("... and %s (the first %d are listed)", Count(n, "more "+noun), Listed)
}

// Split splits err, joined (errors.Join) at any depth, into its messages:
// one a problem.
func Split(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, Split(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// Brief is err with its first Listed problems (Split) and a line counting
// the rest, as apply, check and remove print it; errors.Is and errors.As
// still find every one. An err of no more problems is returned as it is.
func Brief(err error) error {
	if probs := Split(err); len(probs) > Listed {
		return &brief{err: err, text: strings.Join(probs[:Listed], "\n") + "\n" + More(len(probs)-Listed, "problem")}
	}
	return err
}

type brief struct {
	err  error
	text string
}

func (b *brief) Error() string { return b.text }
func (b *brief) Unwrap() error { return b.err }
