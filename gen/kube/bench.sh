#!/usr/bin/env bash
# bench.sh: what Kubernetes as the inventory costs. `make bench` runs it
# and appends its Markdown to BENCHMARKS.md.
#
# Usage: gen/kube/bench.sh > section.md
# Environment: NODES (default 5000), the Nodes the API server holds.
#
# - The binary's size with client-go (podroutes-kube, which podroutes
#   execs for --kubeconfig) and without it (-tags nokube: podroutes), as
#   `make build` builds them and stripped, as the packages do.
# - `podroutes watch --kubeconfig` against a real API server (etcd and
#   kube-apiserver in a throwaway namespace, internal/k8stest) holding
#   NODES Nodes as kubelets register them (40 images each, about 12 KB of
#   JSON): the time to the first routes, a Node's change reaching them, and
#   the watcher's RSS (cmd/podroutes BenchmarkKube, which fails above
#   40 MB); and the peak RSS of `check --kubeconfig` and `watch
#   --kubeconfig` listing 80 large Nodes (4500 images and a 250 KB
#   annotation each, 1.7 MB of JSON: BenchmarkKubeLarge, which fails above
#   60 MB). Needs root; the API server binaries are built first if the
#   cache is empty (make k8s-bins).
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${NODES:-5000}
[[ $EUID -eq 0 ]] || { echo "bench.sh: needs root (network namespaces)" >&2; exit 2; }
T=$(mktemp -d /tmp/podroutes-kube-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
for tags in "" nokube; do
	CGO_ENABLED=0 go build -trimpath -tags "$tags" -o "$T/podroutes-${tags:-kube}" ./cmd/podroutes
	CGO_ENABLED=0 go build -trimpath -tags "$tags" -ldflags '-s -w' -o "$T/podroutes-${tags:-kube}-stripped" ./cmd/podroutes
done

go run ./internal/k8stest/cmd/k8s-bins >/dev/null
PODROUTES_KUBE_BENCH="$T/watch.md" PODROUTES_KUBE_BENCH_LARGE="$T/large.md" PODROUTES_KUBE_BENCH_NODES=$NODES \
	PODROUTES_KUBE_BENCH_BIN="$T/podroutes-kube-stripped" \
	go test -count=1 -timeout 30m -run '^$' -bench '^BenchmarkKube(Large)?$' -benchtime 1x ./cmd/podroutes >"$T/test.log" 2>&1 || {
	tail -40 "$T/test.log" >&2
	echo "bench.sh: BenchmarkKube failed" >&2
	exit 1
}

cat <<EOF

## Kubernetes as the inventory

\`make bench\` (gen/kube/bench.sh), $(date -u +%Y-%m-%d), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1):
\`podroutes watch --kubeconfig\` in a
namespace of its own, against etcd and kube-apiserver $(go run ./internal/k8stest/cmd/k8s-bins 2>/dev/null | sed -n 's|^kube-apiserver: .*kubernetes-\(v[0-9.]*\)-.*|\1|p')
in another, holding $NODES Nodes as kubelets register them (40 images each, about
12 KB of JSON). This host is not a Node: it routes to every one. Times run from
the watcher's start, or from the API request that re-addressed a Node; RSS is
the watcher's (VmRSS, and VmHWM for the peak) as the packages build it
(stripped), with its soft memory limit of 20 MiB (GOMEMLIMIT).

$(cat "$T/watch.md")

Large Nodes, as a hostile or very busy cluster's can be: list pages are
bounded by bytes (about 2 MB), not only by their 250 Nodes.

$(cat "$T/large.md")

| binary | \`make build\` | stripped (the packages') |
|---|---|---|
| with client-go (podroutes-kube, run for \`--kubeconfig\`) | $(mb "$T/podroutes-kube") | $(mb "$T/podroutes-kube-stripped") |
| without (\`-tags nokube\`: podroutes) | $(mb "$T/podroutes-nokube") | $(mb "$T/podroutes-nokube-stripped") |
EOF
