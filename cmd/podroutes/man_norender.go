//go:build urfave_cli_no_docs

package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// manRenderer says this podroutes can render its man page.
const manRenderer = false

// errNoMan is why a podroutes built as it is installed has no man page to
// print: urfave/cli's renderer (go-md2man, blackfriday) is left out with
// -tags urfave_cli_no_docs, because its package init (HTML entity tables,
// regular expressions) ran in every apply at boot, for a page that
// packaging/build.sh renders once, at build time.
var errNoMan = errors.New("this podroutes is built without the man page renderer (-tags urfave_cli_no_docs, as make build and packaging/build.sh build it): read man 8 podroutes, or run go run ./cmd/podroutes man")

func toMan(*cli.App) (string, error) { return "", errNoMan }
