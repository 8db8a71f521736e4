package session

import (
	"errors"
	"fmt"
	"io"

	"github.com/podroutes/podroutes/apply"
	"github.com/podroutes/podroutes/apply/reconcile"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/source"
)

// CheckOptions say how to Check.
type CheckOptions struct {
	// Out gets the report: JSON Lines (docs/check.md) if JSON, else text
	// in the style of ip route.
	Out  io.Writer
	JSON bool
	// Node is this host's name in the inventory when given (apply.Options).
	Node string
}

// NoReport is Check's error when it could not tell whether the routes
// are in place, and reported nothing: the config could not be loaded
// (Load: Err is source.First's) or the kernel's routes could not be read.
type NoReport struct {
	Err  error
	Load bool
}

func (e *NoReport) Error() string { return e.Err.Error() }
func (e *NoReport) Unwrap() error { return e.Err }

// Check reports the state of each route of this host's config from src,
// read-only, planned as apply would plan it (apply.Check), and then each
// way a podroutes networkd drop-in disagrees with the config
// (Source.Drift), which is drift too: networkd would make its routes at
// its next configure of the link. With JSON the drift is in the report
// too, not only in the error, or a program reading it would find nothing
// behind the failure.
//
// Nil means in sync. Otherwise the error is a *NoReport; apply's refusal
// of the config (apply.IsRefused); the drift, each problem joined (the
// routes differ from the source, the drop-in's); or the report's own.
func (s *Session) Check(src *source.Source, o CheckOptions) error {
	n, err := src.First(s.Ctx, source.Host{Local: source.Local(s.K), Log: s.Log})
	if err != nil {
		return &NoReport{Err: err, Load: true}
	}
	write := apply.Report.WriteReport
	if o.JSON {
		write = apply.Report.WriteJSON
	}
	// Once the report is out, check could tell: an error then is drift
	// (routes left out) or the report's own; before, the kernel's routes
	// could not be read.
	reported := false
	inSync, err := apply.Check(s.Ctx, s.K, n.Config, apply.Options{Hostname: s.Hostname, LeaveOut: src.PerNode(), Node: o.Node, Keep: src.Keep()},
		func(r apply.Report) error { reported = true; return write(r, o.Out) })
	switch {
	case apply.IsRefused(err):
		return err
	case err != nil && !reported:
		return &NoReport{Err: err}
	case err != nil:
		return err
	}
	var problems []error
	if !inSync {
		problems = append(problems, errors.New("routes differ from "+src.Path()))
	}
	drift := src.Drift(n.Config)
	for _, d := range drift {
		problems = append(problems, errors.New(d))
	}
	if o.JSON {
		if err := reconcile.WriteDropInDrift(o.Out, drift); err != nil {
			return fmt.Errorf("printing the report: %w", err)
		}
	}
	return errors.Join(problems...)
}

// Remove deletes every route podroutes owns (apply.Remove), after the
// networkd drop-ins in dropIns, if set (networkd.Uninstall): networkd,
// reconfiguring the link meanwhile, must find no route of podroutes' to
// add again. The error joins both.
func (s *Session) Remove(dropIns string) error {
	var dropErr error
	if dropIns != "" {
		dropErr = networkd.Uninstall(s.Log, dropIns)
	}
	_, err := apply.Remove(s.Ctx, s.K, s.Log)
	return errors.Join(dropErr, err)
}
