// Package manpage is the prose of podroutes' documentation: each command's
// description (Description), which --help prints and urfave/cli renders
// into podroutes(8) with the commands and flags; the sections of the page
// after them (Extra), with each name, path and number filled in from where
// it is defined; and the bash and zsh completion scripts (Completion).
// packaging/build.sh installs the page and the scripts.
package manpage

import (
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/gotune"
	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/networkd"
	"github.com/podroutes/podroutes/internal/route"
	"github.com/podroutes/podroutes/internal/source"
)

// Description is the long help of the command name (podroutes itself for
// "podroutes"): commands/NAME.txt without its last newline. A name without
// a file panics: the commands are podroutes' own, and a test renders each.
func Description(name string) string {
	b, err := descriptions.ReadFile("commands/" + name + ".txt")
	if err != nil {
		panic(fmt.Sprintf("manpage: no description of %q: %v", name, err))
	}
	return strings.TrimSuffix(string(b), "\n")
}

// descriptions are the commands' long help, one file a command.
//
//go:embed commands/*.txt
var descriptions embed.FS

// Extra is roff: ENVIRONMENT, FILES, EXIT STATUS, the networkd note and
// SEE ALSO, with the names, paths and numbers from where they are defined.
// The environment's names are placeholders too: written out, the METRIC in
// PODROUTES_METRICS_ADDRESS would be replaced.
func Extra() string {
	return strings.NewReplacer(
		"ENV_LOCK", lock.Env,
		"ENV_METRICS_ADDRESS", metrics.EnvAddress,
		"ENV_OFF_LINK", config.OffLinkEnv,
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
// Extra fills in.
//
//go:embed man.roff
var manTemplate string

// Completion returns the completion script for shell, which asks prog for
// candidates with urfave/cli's --generate-bash-completion.
func Completion(shell, prog string) (string, error) {
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
