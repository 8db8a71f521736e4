package main

// Hidden commands that packaging/build.sh runs to generate the man page and
// the shell completions from the CLI definition itself, so they never drift.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/config"
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
		"MEMORY_LIMIT", strconv.Itoa(memoryLimit>>20),
		"WATCH_MEMORY_LIMIT", strconv.Itoa(watchMemoryLimit>>20),
		"ROUTES_YAML", config.DefaultPath,
		"INVENTORY", source.DefaultInventory,
		"PROTOCOL", strconv.Itoa(int(route.Owner)),
		"PROTONAME", route.Owner.String(),
		"METRIC", strconv.Itoa(route.DefaultMetric),
		"DROPIN", networkd.DropInName,
		"TEXTFILE", metrics.AutoPath,
	).Replace(manTemplate)
}

const manTemplate = `.SH ENVIRONMENT
.TP
.B GOMEMLIMIT
Unset, apply, check and remove run under a soft memory limit of
MEMORY_LIMIT MiB and collect garbage only at that limit (unless GOGC is set),
and watch runs under one of WATCH_MEMORY_LIMIT MiB. Set, podroutes sets neither, and the Go
runtime takes GOMEMLIMIT (and GOGC) as any Go program does. Likewise
watch runs on one processor unless GOMAXPROCS is set.
.TP
.B ENV_LOCK
The lock file apply, remove and each pass of watch take, as it is: every
podroutes that names the same file waits for the others, in any network
namespace. Unset, the lock is PASS_LOCK-INO, INO the inode of the network
namespace (\fBstat -L -c %i /proc/self/ns/net\fR), so that only the processes
of one namespace wait for each other. watch also holds watch-INO.lock in the
lock's directory while it runs, which keeps a second watcher of the namespace
from starting.
.TP
.B ENV_METRICS_ADDRESS
For watch, as \fB--metrics-address\fR (which wins when both are given): serve
Prometheus metrics at http://HOST:PORT/metrics. Not HOST:PORT: exit 2. Unset
or empty, no metrics are served.
.TP
.B NOTIFY_SOCKET
Set by systemd for a unit that waits for a notification; unset, nothing is
sent. apply sends READY=1 and STATUS= with what it did (e.g. "3 routes in
place: 1 added, 0 replaced, 0 pruned") once the routes are in place, or
STATUS= with the reason and ERRNO= when it fails. watch sends READY=1 after
its first pass (with \fB--kubeconfig\fR, at the latest when \fB--wait\fR
ends), STATUS= as its passes go, and WATCHDOG=1 at half the unit's
WatchdogSec= (WATCHDOG_USEC).
.TP
.B JOURNAL_STREAM
Set by systemd when stderr is the journal: each log line then carries its
syslog priority, so that the journal keeps its level.
.SH FILES
.TP
.B INVENTORY
The inventory every host shares (machines.txt, YAML or kubectl JSON): apply,
check, remove and watch find this host in it (\fB--node\fR, else by address,
else, when \fB--wait\fR ends with none, by hostname; an address of one host
and the hostname of another is refused) and plan its routes, when there is no
routes.yaml. Must be
owned by root and not group- or world-writable when read as root.
.TP
.B /var/lib/kubelet/kubeconfig
With \fB--kubeconfig\fR (as /usr/share/doc/podroutes/kubernetes.conf runs
the watcher): the kubeconfig of the API server whose Nodes are the
inventory. Its user needs get, list and watch on nodes, nothing else
(/usr/share/doc/podroutes/examples/rbac.yaml). Must be owned by root and not
group- or world-writable when read as root, as must each file and program its
current context names (certificate-authority, client-certificate, client-key,
tokenFile, exec.command).
.TP
.B ROUTES_YAML
This host's routes, written by \fBpodroutes gen\fR; when it exists it wins over
the inventory. Must be owned by root and not group- or world-writable when
apply runs as root.
.TP
.B /etc/systemd/network/*.network.d/DROPIN
The same routes as a systemd-networkd drop-in (Protocol=PROTOCOL, Metric=METRIC by default).
.TP
.B /etc/iproute2/rt_protos.d/podroutes.conf
Names rtnetlink protocol PROTOCOL, so \fBip route\fR shows "proto PROTONAME".
.TP
.B /usr/lib/systemd/system/podroutes.service
Runs \fBpodroutes apply\fR at boot, before kubelet and the container runtimes;
\fBsystemctl stop podroutes\fR runs \fBpodroutes remove\fR. Not enabled on
install: \fBsystemctl enable --now podroutes\fR.
.TP
.B TEXTFILE
Prometheus metrics of the last apply or watch pass, written when the
directory exists (\fB--metrics-file auto\fR, as the units run them) for
node_exporter's textfile collector: a directory, not a symlink, owned by
root and not writable by others; else a warning, and no file.
.SH EXIT STATUS
.TP
.B 0
Success; for check: the routes are in place.
.TP
.B 1
Failure, or drift found by check.
.TP
.B 2
Bad input or usage.
.TP
.B 3
check could not tell whether the routes are in place (the Kubernetes API
unreachable or refusing the credentials, the kernel's routes unreadable);
with \fB--output json\fR it prints one line, {"unknown": "why"}.
.SH SYSTEMD-NETWORKD
Where systemd-networkd manages the uplink, a link reconfigure or down/up
removes every route networkd did not declare. Install gen's drop-in in
/etc/systemd/network/<file>.network.d/ too: networkd then re-adds the routes
itself, and because protocol and metric are identical it adopts the ones
podroutes.service installed instead of adding second copies. Order the unit
after networkd with /usr/share/doc/podroutes/networkd.conf, copied to
/etc/systemd/system/podroutes.service.d/.
.SH SEE ALSO
\fBip-route\fR(8), \fBsystemd.network\fR(5), \fBsystemd.service\fR(5)
`

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
const bashCompletion = `# bash completion for PROG
_PROG_bash_autocomplete() {
  local cur words cword requestComp opts
  COMPREPLY=()
  if declare -F _init_completion >/dev/null 2>&1; then
    _init_completion -n "=:" || return
  else
    cur="${COMP_WORDS[COMP_CWORD]}"
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  words=("${words[@]:0:$cword}")
  if [[ "$cur" == "-"* ]]; then
    requestComp="${words[*]} ${cur} --generate-bash-completion"
  else
    requestComp="${words[*]} --generate-bash-completion"
  fi
  opts=$(eval "${requestComp}" 2>/dev/null)
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -o nospace -F _PROG_bash_autocomplete PROG
`

// zshCompletion is urfave/cli v2's autocomplete/zsh_autocomplete as an
// autoloadable _PROG function (vendor-completions); sourcing it also works.
const zshCompletion = `#compdef PROG

_PROG() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}

if [[ "${funcstack[1]}" == "_PROG" ]]; then
  _PROG "$@"
else
  compdef _PROG PROG
fi
`
