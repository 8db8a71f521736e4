#!/usr/bin/env bash
# bench.sh: how fast podroutes programs routes, against `ip -batch` and the
# lab's shell loop of `ip route add`, and how fast `podroutes gen` writes.
# `make bench` runs it and writes its Markdown to BENCHMARKS.md.
#
# Usage: apply/bench/bench.sh BIN > table.md
#   BIN     the podroutes binary
# Environment: RUNS (default 5, runs per cell, the median is shown), SIZES
# (default "100 1000 5000 20000"), LOOP_MAX (default 1000, the largest size
# the shell loop runs at).
#
# Each apply runs in a fresh namespace of its own: eth0 with 10.240.0.1/16,
# a veth into a peer namespace holding 100 addresses of that /16; every
# route has its own gateway on the /16 (one per node, as in a cluster).
# Tools take turns, run after run. Everything lives in namespaces named
# prbench-<pid>-*, deleted on exit, on failure too; the root namespace is
# never touched. Needs root, iproute2, nsenter and /usr/bin/time.
set -euo pipefail

die() { echo "bench.sh: $*" >&2; exit 2; }
[[ $# -eq 1 ]] || die "usage: $0 BIN"
BIN=$(realpath "$1")
RUNS=${RUNS:-5} SIZES=${SIZES:-"100 1000 5000 20000"} LOOP_MAX=${LOOP_MAX:-1000}
[[ $EUID -eq 0 ]] || die "needs root to create network namespaces"
[[ -x $BIN ]] || die "$BIN: not an executable"
for c in ip nsenter /usr/bin/time; do command -v "$c" >/dev/null || die "$c not found"; done

P=prbench-$$-
WORK=$(mktemp -d /tmp/podroutes-bench.XXXXXX)
CREATED=()
cleanup() {
	local ns
	for ns in "${CREATED[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# inventory N FILE: a machines.txt with the host (10.240.0.1, no subnet) and
# N nodes on 10.240.0.0/16, each with a /24 pod subnet.
inventory() {
	awk -v n="$1" 'BEGIN {
		print "10.240.0.1 host.bench host"
		for (i = 1; i <= n; i++) {
			a = i + 1
			printf "10.240.%d.%d node-%d.bench node-%d 10.%d.%d.0/24\n", int(a / 256), a % 256, i, i, 100 + int(i / 256), i % 256
		}
	}' >"$2"
}

NS_SEQ=0
# fresh: create a host namespace wired to a peer, print its name.
fresh() {
	local h=$P$((NS_SEQ += 1)) p=$P$((NS_SEQ += 1))
	CREATED+=("$h" "$p")
	ip netns add "$h"
	ip netns add "$p"
	ip -n "$h" link set lo up
	ip -n "$h" link add eth0 type veth peer name eth0 netns "$p"
	ip -n "$h" addr add 10.240.0.1/16 dev eth0
	ip -n "$h" link set eth0 up
	ip -n "$p" link set eth0 up
	seq 2 101 | awk '{ printf "addr add 10.240.200.%d/16 dev eth0\n", $1 }' | ip -n "$p" -batch -
	NS=$h PEER=$p
	IN=(nsenter --net="/run/netns/$h")
}

# gone: delete the namespaces fresh made last.
gone() {
	ip netns delete "$NS"
	ip netns delete "$PEER"
}

# timed OUT CMD...: run CMD, append "MS RSS_KB" to OUT; CMD must succeed.
timed() {
	local out=$1 t0 t1 rss
	shift
	t0=$EPOCHREALTIME
	/usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || {
		cat "$WORK/err" >&2
		die "failed: $*"
	}
	t1=$EPOCHREALTIME
	read -r rss <"$WORK/rss"
	echo "$(((${t1/./} - ${t0/./}) / 1000)) $rss" >>"$out"
}


# expect N: the host namespace holds N routes of protocol 157.
expect() {
	local got
	got=$(ip -n "$NS" route show proto 157 | wc -l)
	[[ $got -eq $1 ]] || die "$NS has $got podroutes routes, want $1"
}

# median FILE COLUMN: the median of a column of numbers.
median() { sort -n -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'; }

# ratio A B: A/B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

bench_size() {
	local n=$1 d=$WORK/$1 r
	mkdir -p "$d"
	inventory "$n" "$d/machines.txt"
	"$BIN" gen --inventory "$d/machines.txt" --node host --out "$d/tree"
	local cfg=$d/tree/host/etc/podroutes/routes.yaml
	"$BIN" gen --inventory "$d/machines.txt" --node host --format ip | sed -n 's/^ip route replace /route add /p' >"$d/batch"
	sed 's/^route add /ip route add /' "$d/batch" >"$d/loop.sh"
	for ((r = 0; r < RUNS; r++)); do
		fresh
		timed "$d/apply" "${IN[@]}" "$BIN" apply --config "$cfg"
		expect "$n"
		timed "$d/noop" "${IN[@]}" "$BIN" apply --config "$cfg"
		timed "$d/check" "${IN[@]}" "$BIN" check --config "$cfg"
		timed "$d/remove" "${IN[@]}" "$BIN" remove --config "$cfg"
		expect 0
		gone
		fresh
		timed "$d/batchrun" "${IN[@]}" ip -batch "$d/batch"
		expect "$n"
		gone
		if ((n <= LOOP_MAX)); then
			fresh
			timed "$d/loop" "${IN[@]}" bash "$d/loop.sh"
			expect "$n"
			gone
		fi
	done
	local apply batch loop="-"
	apply=$(median "$d/apply" 1) batch=$(median "$d/batchrun" 1)
	[[ -f $d/loop ]] && loop="$(median "$d/loop" 1) ms"
	printf '| %s | %s ms | %s ms | %s | %s | %s ms (%s) | %s ms | %s ms | %s MB | %s MB |\n' "$n" \
		"$apply" "$batch" "$(ratio "$apply" "$batch")" "$loop" \
		"$(median "$d/noop" 1)" "$(ratio "$(median "$d/noop" 1)" "$apply")" \
		"$(median "$d/check" 1)" "$(median "$d/remove" 1)" \
		"$(awk -v k="$(median "$d/apply" 2)" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(awk -v k="$(median "$d/batchrun" 2)" 'BEGIN { printf "%.1f", k / 1024 }')"
}

bench_gen() {
	local d=$WORK/gen r
	mkdir -p "$d"
	inventory 999 "$d/m1000.txt"
	inventory 4999 "$d/m5000.txt"
	for ((r = 0; r < RUNS; r++)); do
		rm -rf "$d/out" "$d/copy"
		timed "$d/all" "$BIN" gen --inventory "$d/m1000.txt" --out "$d/out"
		timed "$d/cp" cp -r "$d/out" "$d/copy"
		timed "$d/node" "$BIN" gen --inventory "$d/m5000.txt" --node node-4999 --out "$d/one"
	done
	echo
	echo "| gen | median | peak RSS |"
	echo "|---|---|---|"
	printf '| `gen --out` of a 1000-host inventory (2000 files) | %s ms | %s MB |\n' "$(median "$d/all" 1)" "$(awk -v k="$(median "$d/all" 2)" 'BEGIN { printf "%.1f", k / 1024 }')"
	printf '| `cp -r` of the same tree | %s ms | - |\n' "$(median "$d/cp" 1)"
	printf '| `gen --node` on a 5000-host inventory | %s ms | %s MB |\n' "$(median "$d/node" 1)" "$(awk -v k="$(median "$d/node" 2)" 'BEGIN { printf "%.1f", k / 1024 }')"
}

cat <<EOF
# Benchmarks

\`make bench\` (apply/bench/bench.sh), $(date -u +%Y-%m-%d): $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),
kernel $(uname -r), $(ip -V). Median of $RUNS runs, each apply in a fresh
namespace (eth0 10.240.0.1/16 on a veth; one gateway per route, all on the
/16, as one host of a cluster of N+1 nodes), tools taking turns. Times are
whole processes, start to exit; peak RSS from \`/usr/bin/time\`.
No-op re-apply, check and remove run on the table apply just made.

EOF
echo "| routes | podroutes apply | ip -batch | apply / ip -batch | shell loop | no-op re-apply (/ apply) | check | remove | peak RSS apply | peak RSS ip -batch |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do bench_size "$n"; done
bench_gen
