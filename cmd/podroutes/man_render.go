//go:build !urfave_cli_no_docs

package main

import "github.com/urfave/cli/v2"

// manSection is the man page section: podroutes changes the system's routes.
const manSection = 8

// manRenderer says this podroutes can render its man page.
const manRenderer = true

// toMan renders app's commands and flags as roff with urfave/cli's
// renderer (go-md2man, blackfriday).
func toMan(app *cli.App) (string, error) {
	return app.ToManWithSection(manSection)
}
