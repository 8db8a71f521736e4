package main

import "github.com/urfave/cli/v2"

// commands lists the subcommands, one constructor each.
func commands() []*cli.Command {
	return []*cli.Command{
		genCommand(),
		validateCommand(),
		applyCommand(),
		checkCommand(),
		removeCommand(),
		watchCommand(),
		manCommand(),
		completionCommand(),
	}
}
