package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/manpage"
)

// commands lists the subcommands, one constructor each. None but
// completion takes arguments: each refuses them (noArgs). Built without
// the Kubernetes source, each hands --kubeconfig to the build with it
// (kubeExec).
func commands() []*cli.Command {
	cmds := []*cli.Command{
		genCommand(),
		validateCommand(),
		applyCommand(),
		checkCommand(),
		removeCommand(),
		watchCommand(),
		manCommand(),
	}
	for _, c := range cmds {
		noArgs(c)
		kubeExec(c)
	}
	return append(cmds, completionCommand())
}

// command is a subcommand whose long help (and man page section) is the
// description written for its name (manpage.Description).
func command(name, usage string, flags []cli.Flag, action cli.ActionFunc) *cli.Command {
	return &cli.Command{Name: name, Usage: usage, Description: manpage.Description(name), Flags: flags, Action: action}
}

// noArgs makes c refuse positional arguments, before it does anything:
// urfave/cli stops reading flags at the first argument, so
// `podroutes apply new.yaml --dry-run` would otherwise ignore both the file
// and --dry-run and apply the default config for real.
func noArgs(c *cli.Command) {
	action := c.Action
	hint := ""
	for _, f := range c.Flags {
		if names := f.Names(); hint == "" && (slices.Contains(names, "config") || slices.Contains(names, "inventory")) {
			hint = names[0] // the first: --config where there are both
		}
	}
	c.Action = func(ctx *cli.Context) error {
		if !ctx.Args().Present() {
			return action(ctx)
		}
		args := ctx.Args().Slice()
		msg := fmt.Sprintf("unexpected argument %q", args[0])
		if hint != "" {
			msg += fmt.Sprintf(" (did you mean --%s %s?)", hint, args[0])
		}
		if len(args) > 1 {
			msg += "; nothing after it was read either: " + strings.Join(args[1:], " ")
		}
		return inputError(errors.New(msg + "; nothing was changed"))
	}
}
