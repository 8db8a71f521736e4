#!/usr/bin/env bash
# bench.sh: how fast podroutes programs routes, against `ip -batch` and the
# lab's shell loop of `ip route add`, and how fast `podroutes gen` writes.
# `make bench` runs it and writes its Markdown to BENCHMARKS.md.
#
# Usage: apply/bench/bench.sh BIN > table.md
#   BIN     the podroutes binary
# Environment: RUNS (default 5, runs per cell, the median is shown), SIZES
# (default "100 1000 5000 20000"), LOOP_MAX (default 1000, the largest size
# the shell loop runs at), OFFLINK (default 5000, the peers of the off-link
# case), PARTS (default "sizes gen offlink": the tables to measure, e.g.
# PARTS=offlink for the tunnel's alone).
#
# Each apply runs in a fresh namespace of its own: eth0 with 10.240.0.1/16,
# a veth into a peer namespace holding 100 addresses of that /16; every
# route has its own gateway on the /16 (one per node, as in a cluster).
# Tools take turns, run after run. The off-link case (offLink: vxlan) puts
# half the peers on 10.241.0.0/16, on no link of the host (a default route
# via 10.240.0.254 leads there), and times it beside all of them direct.
# Everything lives in namespaces named
# prbench-<pid>-*, deleted on exit, on failure too; the root namespace is
# never touched. Needs root, iproute2, nsenter and /usr/bin/time.
set -euo pipefail

die() { echo "bench.sh: $*" >&2; exit 2; }
[[ $# -eq 1 ]] || die "usage: $0 BIN"
BIN=$(realpath "$1")
RUNS=${RUNS:-5} SIZES=${SIZES:-"100 1000 5000 20000"} LOOP_MAX=${LOOP_MAX:-1000}
OFFLINK=${OFFLINK:-5000} PARTS=${PARTS:-"sizes gen offlink"}
[[ $EUID -eq 0 ]] || die "needs root to create network namespaces"
[[ -x $BIN ]] || die "$BIN: not an executable"
for c in ip bridge nsenter /usr/bin/time; do command -v "$c" >/dev/null || die "$c not found"; done

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

# inventory N FILE [OFF]: a machines.txt with the host (10.240.0.1, no
# subnet) and N nodes on 10.240.0.0/16, each with a /24 pod subnet; the
# last OFF of them (default none) on 10.241.0.0/16 instead.
inventory() {
	awk -v n="$1" -v off="${3:-0}" 'BEGIN {
		print "10.240.0.1 host.bench host"
		for (i = 1; i <= n; i++) {
			a = i + 1
			printf "10.%d.%d.%d node-%d.bench node-%d 10.%d.%d.0/24\n", (i > n - off ? 241 : 240), int(a / 256), a % 256, i, i, 100 + int(i / 256), i % 256
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

# timed OUT CMD...: run CMD, append "MS RSS_KB CPU_MS" to OUT (CPU: user
# and system, of CMD and what it waited for); CMD must succeed.
timed() {
	local out=$1 t0 t1 rss user sys
	shift
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || {
		cat "$WORK/err" >&2
		die "failed: $*"
	}
	t1=$EPOCHREALTIME
	read -r rss user sys <"$WORK/rss"
	echo "$(((${t1/./} - ${t0/./}) / 1000)) $rss $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000 }')" >>"$out"
}


# expect N: the host namespace holds N routes of protocol 157.
expect() {
	local got
	got=$(ip -n "$NS" route show proto 157 | wc -l)
	[[ $got -eq $1 ]] || die "$NS has $got podroutes routes, want $1"
}

# expect_tunnel N: the host namespace's podroutes-vx holds N permanent
# neighbour entries and N FDB entries (one per peer through it).
expect_tunnel() {
	local neigh fdb
	neigh=$(ip -n "$NS" neigh show dev podroutes-vx nud permanent | wc -l)
	fdb=$( (bridge -n "$NS" fdb show dev podroutes-vx 2>/dev/null || true) | grep -c ' dst ' || true)
	[[ $neigh -eq $1 && $fdb -eq $1 ]] || die "$NS has $neigh neighbour and $fdb fdb entries on podroutes-vx, want $1 each"
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

# mb KB: KB in MB, to one decimal.
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# bench_offlink N: N peers all direct, against the same N with the last
# N/2 on 10.241.0.0/16 through the tunnel (offLink: vxlan: a route, a
# neighbour and an FDB entry each), taking turns in fresh namespaces
# whose eth0 has a default route via 10.240.0.254.
bench_offlink() {
	local n=$1 off=$(($1 / 2)) d=$WORK/offlink-$1 r c
	mkdir -p "$d"
	inventory "$n" "$d/direct.txt"
	inventory "$n" "$d/tunnel.txt" "$off"
	"$BIN" gen --inventory "$d/direct.txt" --node host --out "$d/direct"
	"$BIN" gen --inventory "$d/tunnel.txt" --node host --off-link vxlan --out "$d/tunnel"
	for ((r = 0; r < RUNS; r++)); do
		for c in direct tunnel; do
			local cfg=$d/$c/host/etc/podroutes/routes.yaml
			fresh
			ip -n "$NS" route add default via 10.240.0.254 dev eth0
			timed "$d/$c.apply" "${IN[@]}" "$BIN" apply --config "$cfg"
			expect "$n"
			[[ $c == direct ]] || expect_tunnel "$off"
			timed "$d/$c.noop" "${IN[@]}" "$BIN" apply --config "$cfg"
			timed "$d/$c.check" "${IN[@]}" "$BIN" check --config "$cfg"
			timed "$d/$c.remove" "${IN[@]}" "$BIN" remove --config "$cfg"
			expect 0
			[[ -z $(ip -n "$NS" link show podroutes-vx 2>/dev/null) ]] || die "$NS: podroutes-vx left after remove"
			gone
		done
	done
	echo
	echo "## Nodes on other networks"
	echo
	echo "\`make bench\` (apply/bench/bench.sh), $(date -u +%Y-%m-%d): $n peers, all on eth0's /16 (direct), against the same $n with $off of them on another network (10.241.0.0/16, reached by the default route) and \`offLink: vxlan\`: those $off go through podroutes-vx, a route, a permanent neighbour entry and an FDB entry each. Each apply in a fresh namespace, the two taking turns; median of $RUNS runs. Times are whole processes, start to exit; CPU is user and system time; peak RSS from \`/usr/bin/time\`. No-op re-apply, check and remove run on what apply just made."
	echo
	echo "| $n peers | apply | apply CPU | no-op re-apply (/ apply) | no-op CPU | check | check CPU | remove | peak RSS apply | peak RSS no-op |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for c in direct tunnel; do
		local what="all direct" apply noop
		[[ $c == direct ]] || what="$((n - off)) direct, $off through the tunnel"
		apply=$(median "$d/$c.apply" 1) noop=$(median "$d/$c.noop" 1)
		printf '| %s | %s ms | %s ms | %s ms (%s) | %s ms | %s ms | %s ms | %s ms | %s MB | %s MB |\n' "$what" \
			"$apply" "$(median "$d/$c.apply" 3)" "$noop" "$(ratio "$noop" "$apply")" "$(median "$d/$c.noop" 3)" \
			"$(median "$d/$c.check" 1)" "$(median "$d/$c.check" 3)" "$(median "$d/$c.remove" 1)" \
			"$(mb "$(median "$d/$c.apply" 2)")" "$(mb "$(median "$d/$c.noop" 2)")"
	done
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
if [[ " $PARTS " == *" sizes "* ]]; then
	echo "| routes | podroutes apply | ip -batch | apply / ip -batch | shell loop | no-op re-apply (/ apply) | check | remove | peak RSS apply | peak RSS ip -batch |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for n in $SIZES; do bench_size "$n"; done
fi
[[ " $PARTS " != *" gen "* ]] || bench_gen
[[ " $PARTS " != *" offlink "* ]] || bench_offlink "$OFFLINK"
