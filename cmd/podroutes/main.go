// Command podroutes installs the routes that let pods on one node reach pods
// on every other node: `gen` plans them from an inventory, `apply` installs a
// host's routes through netlink, `check` verifies, `remove` undoes.
//
// Exit codes: 0 success; 1 failure or drift (check); 2 bad input or usage;
// 3 check could not tell (Nagios' unknown).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/gotune"
	"github.com/podroutes/podroutes/internal/manpage"
)

// Exit codes, documented in the README and the man page.
const (
	exitOK      = 0
	exitFailure = 1
	exitInput   = 2
	// exitUnknown is check's when it cannot tell whether the routes are
	// in place (Nagios' UNKNOWN): not drift, which a person fixes on the
	// host, but no answer (the Kubernetes API unreachable or refusing the
	// credentials, the kernel's routes unreadable).
	exitUnknown = 3
)

// version is set by the Makefile (-ldflags -X main.version=...).
var version = "dev"

// exitError carries the exit code a command ends with. Only main exits.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// inputError marks err as bad input or usage (exit 2).
func inputError(err error) error { return &exitError{code: exitInput, err: err} }

// failure marks err as a failure (exit 1).
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                 "podroutes",
		Usage:                "routes to every node's pod subnet, from one inventory every host shares",
		Description:          manpage.Description("podroutes"),
		Version:              version,
		Reader:               os.Stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		// Only main exits: errors come back from Run.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands:       commands(),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return inputError(fmt.Errorf("unknown command %q; run 'podroutes --help'", c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return inputError(err)
		},
	}
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).Run(args)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(stderr, ee.err)
		}
		return ee.code
	}
	// Anything urfave/cli returns by itself (unknown flag or command,
	// missing required flag) is a usage error.
	fmt.Fprintf(stderr, "podroutes: %v\n", err)
	return exitInput
}

func main() {
	gotune.Runtime(os.Args)
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
