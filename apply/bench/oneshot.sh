#!/usr/bin/env bash
# oneshot.sh: what a one-shot run costs, the weight every boot apply pays,
# with and without client-go linked in. `make bench` runs it and appends
# its Markdown to BENCHMARKS.md.
#
# Usage: apply/bench/oneshot.sh BIN KUBE_BIN > section.md
#   BIN       podroutes as installed (make build: -tags nokube)
#   KUBE_BIN  podroutes-kube, the build with client-go (podroutes as it was
#             installed before; BIN execs it for --kubeconfig)
# Environment: RUNS (default 200), runs of each command by each binary.
#
# In a namespace of its own (eth0, a veth to eth1, 10.240.0.1/16; 3 routes
# planned from a 4-host inventory, applied once first), each binary runs
# `--version`, a no-op `apply --config` and `check --kubeconfig` of a
# missing file (refused at once: what the handover to podroutes-kube costs),
# RUNS times each, one build after the other. CPU is user + system of all the runs
# (getrusage of the children, through bash's `times`) over RUNS; peak RSS
# the median of /usr/bin/time's; wall the mean. Needs root, iproute2,
# nsenter and /usr/bin/time. The namespace is deleted on exit.
set -euo pipefail
die() { echo "oneshot.sh: $*" >&2; exit 2; }
[[ $# -eq 2 ]] || die "usage: $0 BIN KUBE_BIN"
BIN=$(realpath "$1") KUBE=$(realpath "$2") RUNS=${RUNS:-200}
[[ $EUID -eq 0 ]] || die "needs root to create a network namespace"
for c in ip nsenter /usr/bin/time; do command -v "$c" >/dev/null || die "$c not found"; done
NS=proneshot-$$
WORK=$(mktemp -d /tmp/podroutes-oneshot.XXXXXX)
trap 'ip netns delete "$NS" 2>/dev/null || true; rm -rf "$WORK"' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" addr add 10.240.0.1/16 dev eth0
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up
printf '%s\n' "10.240.0.1 host.bench host" "10.240.0.2 node-1.bench node-1 10.200.1.0/24" \
	"10.240.0.3 node-2.bench node-2 10.200.2.0/24" "10.240.0.4 node-3.bench node-3 10.200.3.0/24" >"$WORK/machines.txt"
"$BIN" gen --inventory "$WORK/machines.txt" --node host --out "$WORK/tree" >/dev/null
CFG=$WORK/tree/host/etc/podroutes/routes.yaml
export PODROUTES_LOCK=$WORK/lock # not the host's /run/podroutes/lock-INO
IN=(nsenter --net="/run/netns/$NS")
"${IN[@]}" "$BIN" apply --config "$CFG" 2>/dev/null
[[ $(ip -n "$NS" route show proto 157 | wc -l) -eq 3 ]] || die "the first apply did not install 3 routes"

# cpu OUT EXPECT BIN ARGS...: RUNS runs in the namespace (each exiting
# EXPECT); appends "CPU_MS WALL_MS" per run, averaged, to OUT.
cpu() {
	local out=$1 expect=$2
	shift 2
	"${IN[@]}" bash -c '
		runs=$1 expect=$2 tf=$3; shift 3
		t0=$EPOCHREALTIME
		for ((i = 0; i < runs; i++)); do
			rc=0; "$@" >/dev/null 2>&1 || rc=$?
			[[ $rc -eq $expect ]] || { echo "exit $rc, want $expect: $*" >&2; exit 1; }
		done
		t1=$EPOCHREALTIME
		# times: the shell'"'"'s user and system, then its children'"'"'s, as
		# 0m0.120s; into a file: in a pipe it would run in a subshell.
		times >"$tf"
		tail -1 "$tf" | awk -v w=$((${t1/./} - ${t0/./})) -v n="$runs" "
			function s(t) { split(t, a, /[ms]/); return a[1] * 60 + a[2] }
			{ printf \"%.2f %.2f\\n\", (s(\$1) + s(\$2)) * 1000 / n, w / 1000 / n }"
	' _ "$RUNS" "$expect" "$WORK/times" "$@" >>"$out"
}
# rss OUT EXPECT BIN ARGS...: RUNS runs; appends each run's peak RSS (KB).
rss() {
	local out=$1 expect=$2 i rc
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		rc=0
		"${IN[@]}" /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || rc=$?
		[[ $rc -eq $expect ]] || die "exit $rc, want $expect: $*"
		tail -1 "$WORK/rss" >>"$out" # after "Command exited with non-zero status"
	done
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

load=$(cut -d' ' -f1-3 /proc/loadavg) # said with the figures: wall time follows it
rows=(version:0:--version apply:0:apply\ --config\ "$CFG" kube:2:check\ --kubeconfig\ "$WORK/missing")
for row in "${rows[@]}"; do
	IFS=: read -r name expect args <<<"$row"
	read -ra argv <<<"$args"
	for b in nokube:$BIN kube:$KUBE; do
		cpu "$WORK/$name.${b%%:*}.cpu" "$expect" "${b#*:}" "${argv[@]}"
		rss "$WORK/$name.${b%%:*}.rss" "$expect" "${b#*:}" "${argv[@]}"
	done
done
cell() { # cell NAME BUILD: "CPU ms, WALL ms, RSS MB"
	read -r c w <"$WORK/$1.$2.cpu"
	printf '%s ms, %s ms, %s MB' "$c" "$w" "$(awk -v k="$(median "$WORK/$1.$2.rss")" 'BEGIN { printf "%.1f", k / 1024 }')"
}

cat <<MD

## One-shot runs: without client-go, and with it

\`make bench\` (apply/bench/oneshot.sh), $(date -u +%Y-%m-%d), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),
load average $load at the start:
each command run $RUNS times by each build, in a namespace of its own (3 routes,
in place: a no-op apply), as \`make build\` builds them (not stripped), one
after the other. Each cell: CPU (user + system) a run, wall time a run (both
the mean), peak RSS (the median).
\`podroutes\` is the installed build (\`-tags nokube\`); \`podroutes-kube\` the
build with client-go, which podroutes was before and which it execs for
\`--kubeconfig\`.

| command | \`podroutes\` (nokube) | \`podroutes-kube\` (client-go) |
|---|---|---|
| \`--version\` | $(cell version nokube) | $(cell version kube) |
| no-op \`apply --config\` (3 routes) | $(cell apply nokube) | $(cell apply kube) |
| \`check --kubeconfig\` of a missing file (exit 2) | $(cell kube nokube) (execs podroutes-kube) | $(cell kube kube) |
MD
