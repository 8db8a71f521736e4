// Package logs names what a package that logs asks of its logger: the
// levels a person reads. notify.Logger writes them (to the journal, with
// their priorities); tests pass a recorder (internal/logtest) or Discard.
// A package of its own, so that a package that logs imports neither the
// sd_notify code nor the writer.
package logs

// Logger takes lines for a person, one call a message.
type Logger interface {
	// Infof: what a run did.
	Infof(format string, args ...any)
	// Warnf: what a run did not do but could live without.
	Warnf(format string, args ...any)
	// Errorf: why a run failed.
	Errorf(format string, args ...any)
}

// Discard is a Logger that logs nothing.
type Discard struct{}

func (Discard) Infof(string, ...any)  {}
func (Discard) Warnf(string, ...any)  {}
func (Discard) Errorf(string, ...any) {}
