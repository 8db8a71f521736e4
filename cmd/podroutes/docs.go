package main

// Hidden commands that packaging/build.sh runs to generate the man page and
// the shell completions from the CLI definition itself, so they never drift.

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/manpage"
)

func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the podroutes(8) man page (roff)",
		Hidden: true,
		Action: func(c *cli.Context) error {
			page, err := manPage(c.App)
			if err != nil {
				return failure(err)
			}
			_, err = fmt.Fprint(c.App.Writer, page)
			return err
		},
	}
}

// manPage renders app as a section 8 man page with the sections urfave/cli
// does not generate appended. The binary that is installed cannot
// (toMan): packaging/build.sh renders the page with one built for it.
func manPage(app *cli.App) (string, error) {
	page, err := toMan(app)
	if err != nil {
		return "", fmt.Errorf("rendering man page: %w", err)
	}
	return page + manpage.Extra(), nil
}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the bash or zsh completion script",
		ArgsUsage: "bash|zsh",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			script, err := manpage.Completion(c.Args().First(), c.App.Name)
			if err != nil {
				return inputError(err)
			}
			_, err = fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}
