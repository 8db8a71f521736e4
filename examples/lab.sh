#!/usr/bin/env bash
# lab.sh: the Kubernetes-the-Hard-Way network in network namespaces, routed
# by podroutes. `make demo` runs it.
#
# Usage: examples/lab.sh BIN MACHINES
#   BIN       the podroutes binary
#   MACHINES  the lab's machines.txt (examples/machines.txt)
#
# It builds server, node-0 and node-1 (10.240.0.x/24 on eth0) on a bridge in a
# namespace of its own, a pod namespace behind each node, and gives every host
# the same file: one root-owned copy of MACHINES, as /etc/podroutes/inventory
# would be on each. In each host `BIN apply --inventory` finds that host by
# its address (no --node, no per-host file) and installs its routes; then the
# lab prints each host's routes and pings pod to pod and server to pod.
# Everything lives in namespaces named pr-<pid>-*, deleted on exit; the root
# namespace is never touched. Exit status: 0 all probes passed, 1 a probe or
# an apply failed, 2 bad usage or missing prerequisites.
set -euo pipefail

SCRIPT=lab.sh
[[ $# -eq 2 ]] || { echo "usage: $0 BIN MACHINES" >&2; exit 2; }
BIN=$1 MACHINES=$2
P=pr-$$-
source "$(dirname "$0")/lab-lib.sh"
need_tools

HOSTS=(server node-0 node-1)
declare -A ADDR=([server]=10.240.0.10 [node-0]=10.240.0.20 [node-1]=10.240.0.21)
declare -A SUBNET=([node-0]=10.200.0 [node-1]=10.200.1) # /24s; .1 node, .2 pod
[[ -f $MACHINES ]] || die "$MACHINES: no such file"

echo "== building the lab in namespaces $P*"
newns lan
ip -n "${P}lan" link add br0 type bridge
ip -n "${P}lan" link set br0 up
for h in "${HOSTS[@]}"; do
	newns "$h"
	ip -n "${P}lan" link add "v-$h" type veth peer name eth0 netns "$P$h"
	ip -n "${P}lan" link set "v-$h" master br0 up
	ip -n "$P$h" addr add "${ADDR[$h]}/24" dev eth0
	ip -n "$P$h" link set eth0 up
done
for node in node-0 node-1; do
	add_pod "$node" "${SUBNET[$node]}"
done

share_inventory "$MACHINES"
apply_and_check

echo "== probes"
probe pod-0 pod-1 10.200.1.2
probe pod-1 pod-0 10.200.0.2
probe server pod-0 10.200.0.2
probe server pod-1 10.200.1.2
verdict
