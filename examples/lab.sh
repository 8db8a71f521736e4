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

die() { echo "lab.sh: $*" >&2; exit 2; }

[[ $# -eq 2 ]] || die "usage: $0 BIN MACHINES"
BIN=$1 MACHINES=$2
[[ $EUID -eq 0 ]] || die "needs root to create network namespaces; run it as root (or: sudo make demo)"
[[ -x $BIN ]] || die "$BIN: not an executable; build podroutes first"
command -v ip >/dev/null || die "ip not found; run: apt-get install -y iproute2"
command -v ping >/dev/null || die "ping not found; run: apt-get install -y iputils-ping"

HOSTS=(server node-0 node-1)
declare -A ADDR=([server]=10.240.0.10 [node-0]=10.240.0.20 [node-1]=10.240.0.21)
declare -A SUBNET=([node-0]=10.200.0 [node-1]=10.200.1) # /24s; .1 node, .2 pod
[[ -f $MACHINES ]] || die "$MACHINES: no such file"

P=pr-$$-
CREATED=()
WORK=$(mktemp -d /tmp/podroutes-lab.XXXXXX)
cleanup() {
	local ns
	for ns in "${CREATED[@]}"; do
		ip netns delete "$ns" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

newns() {
	CREATED+=("$P$1") # first: a signal may come as soon as it exists
	ip netns add "$P$1"
	ip -n "$P$1" link set lo up
}

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
	pod=pod-${node#node-}
	newns "$pod"
	ip -n "$P$node" link add "$pod" type veth peer name eth0 netns "$P$pod"
	ip -n "$P$node" addr add "${SUBNET[$node]}.1/24" dev "$pod"
	ip -n "$P$node" link set "$pod" up
	ip -n "$P$pod" addr add "${SUBNET[$node]}.2/24" dev eth0
	ip -n "$P$pod" link set eth0 up
	ip -n "$P$pod" route add default via "${SUBNET[$node]}.1"
	ip netns exec "$P$node" sysctl -q -w net.ipv4.ip_forward=1
done

# The one file every host gets, root-owned and not writable by others, as
# podroutes insists when root reads it (a checkout may belong to a user).
INVENTORY=$WORK/inventory
install -m 0644 -o root -g root "$MACHINES" "$INVENTORY"
export PODROUTES_LOCK=$WORK/lock # the lab's own, not the host's /run/podroutes/lock-INO

for h in "${HOSTS[@]}"; do
	echo "== $h: $BIN apply --inventory $INVENTORY"
	status=0
	ip netns exec "$P$h" "$BIN" apply --inventory "$INVENTORY" || status=$?
	if [[ $status -ne 0 ]]; then
		echo "FAIL apply on $h (exit $status)"
		exit 1
	fi
done

for h in "${HOSTS[@]}"; do
	echo "== $h: ip route"
	ip -n "$P$h" route
	echo "== $h: $BIN check --inventory $INVENTORY"
	ip netns exec "$P$h" "$BIN" check --inventory "$INVENTORY"
done

echo "== probes"
failed=0
probe() { # probe FROM TO-NAME TO-ADDR
	local _
	for _ in 1 2 3; do # three tries: the first may wait for ARP
		if ip netns exec "$P$1" ping -c1 -W1 "$3" >/dev/null 2>&1; then
			echo "PASS $1 -> $2 ($3)"
			return
		fi
	done
	echo "FAIL $1 -> $2 ($3)"
	failed=1
}
probe pod-0 pod-1 10.200.1.2
probe pod-1 pod-0 10.200.0.2
probe server pod-0 10.200.0.2
probe server pod-1 10.200.1.2

if [[ $failed -ne 0 ]]; then
	echo "== some probes failed"
	exit 1
fi
echo "== all probes passed"
