package main

// Hidden commands that packaging/build.sh runs to generate the man page and
// the shell completions from the CLI definition itself, so they never drift.

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/gotune"
	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/route"
	"github.com/podroutes/podroutes/internal/source"
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
	return page + manExtra(), nil
}

// manExtra is roff: ENVIRONMENT, FILES, EXIT STATUS, the networkd note and
// SEE ALSO, with the names, paths and numbers from where they are defined.
// The environment's names are placeholders too: written out, the METRIC in
// PODROUTES_METRICS_ADDRESS would be replaced.
func manExtra() string {
	return strings.NewReplacer(
		"ENV_LOCK", envLock,
		"ENV_METRICS_ADDRESS", envMetricsAddress,
		"PASS_LOCK", lock.DefaultPath,
		"MEMORY_LIMIT", strconv.Itoa(gotune.MemoryLimit>>20),
		"WATCH_MEMORY_LIMIT", strconv.Itoa(gotune.WatchMemoryLimit>>20),
		"ROUTES_YAML", config.DefaultPath,
		"INVENTORY", source.DefaultInventory,
		"PROTOCOL", strconv.Itoa(int(route.Owner)),
		"PROTONAME", route.Owner.String(),
		"METRIC", strconv.Itoa(route.DefaultMetric),
		"DROPIN", networkd.DropInName,
		"TEXTFILE", metrics.AutoPath,
	).Replace(manTemplate)
}

// manTemplate is the roff of those sections, with the placeholders
// manExtra fills in.
//
//go:embed man.roff
var manTemplate string

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the bash or zsh completion script",
		ArgsUsage: "bash|zsh",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			script, err := completion(c.Args().First(), c.App.Name)
			if err != nil {
				return inputError(err)
			}
			_, err = fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}

// completion returns the completion script for shell, which asks prog for
// candidates with urfave/cli's --generate-bash-completion.
func completion(shell, prog string) (string, error) {
	var script string
	switch shell {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	default:
		return "", fmt.Errorf("completion: unknown shell %q (want bash or zsh)", shell)
	}
	return strings.ReplaceAll(script, "PROG", prog), nil
}

// bashCompletion is urfave/cli v2's autocomplete/bash_autocomplete with the
// program name filled in, for /usr/share/bash-completion/completions/PROG.
//
//go:embed completion.bash
var bashCompletion string

// zshCompletion is urfave/cli v2's autocomplete/zsh_autocomplete as an
// autoloadable _PROG function (vendor-completions); sourcing it also works.
//
//go:embed completion.zsh
var zshCompletion string
