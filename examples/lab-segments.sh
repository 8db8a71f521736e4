#!/usr/bin/env bash
# lab-segments.sh: the lab's machines on two networks joined by a router,
# routed by podroutes with VXLAN for the peers on the other network.
# `make demo` runs it after lab.sh.
#
# Usage: examples/lab-segments.sh BIN INVENTORY
#   BIN        the podroutes binary
#   INVENTORY  examples/segments.yaml (offLink: vxlan)
#
# server and node-0 are on 10.240.0.0/24, node-1 and node-2 on
# 10.241.0.0/24, each network a bridge in a namespace, a router namespace
# between them (10.240.0.1, 10.241.0.1; every host's default route). Each
# node has a pod behind it. Every host gets the same inventory and runs
# `BIN apply --inventory`: a peer on its own network gets a direct route, one
# on the other network a route through podroutes-vx. The lab then shows
# each host's routes and check, pings every pod from every host, shows
# which way each probe went, sends a don't-fragment ping of the tunnel's
# MTU (1450 bytes) across, and runs `BIN remove`, which must leave no
# podroutes device or route. Namespaces are named prs-<pid>-*, deleted on
# exit; the root namespace is never touched. Exit status: 0 all probes
# passed, 1 a probe or a command failed, 2 bad usage or prerequisites.
set -euo pipefail

die() { echo "lab-segments.sh: $*" >&2; exit 2; }

[[ $# -eq 2 ]] || die "usage: $0 BIN INVENTORY"
BIN=$1 SOURCE=$2
[[ $EUID -eq 0 ]] || die "needs root to create network namespaces; run it as root (or: sudo make demo)"
[[ -x $BIN ]] || die "$BIN: not an executable; build podroutes first"
command -v ip >/dev/null || die "ip not found; run: apt-get install -y iproute2"
command -v ping >/dev/null || die "ping not found; run: apt-get install -y iputils-ping"
[[ -f $SOURCE ]] || die "$SOURCE: no such file"

HOSTS=(server node-0 node-1 node-2)
NODES=(node-0 node-1 node-2)
declare -A ADDR=([server]=10.240.0.10 [node-0]=10.240.0.20 [node-1]=10.241.0.21 [node-2]=10.241.0.22)
declare -A NET=([server]=a [node-0]=a [node-1]=b [node-2]=b)
declare -A ROUTER=([a]=10.240.0.1 [b]=10.241.0.1)
declare -A SUBNET=([node-0]=10.200.0 [node-1]=10.200.1 [node-2]=10.200.2) # /24s; .1 node, .2 pod

P=prs-$$-
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

echo "== building two networks and a router in namespaces $P*"
newns router
ip netns exec "${P}router" sysctl -q -w net.ipv4.ip_forward=1
for net in a b; do
	newns "lan-$net"
	ip -n "${P}lan-$net" link add br0 type bridge
	ip -n "${P}lan-$net" link set br0 up
	ip -n "${P}lan-$net" link add r0 type veth peer name "net-$net" netns "${P}router"
	ip -n "${P}lan-$net" link set r0 master br0 up
	ip -n "${P}router" addr add "${ROUTER[$net]}/24" dev "net-$net"
	ip -n "${P}router" link set "net-$net" up
done
for h in "${HOSTS[@]}"; do
	net=${NET[$h]}
	newns "$h"
	ip -n "${P}lan-$net" link add "v-$h" type veth peer name eth0 netns "$P$h"
	ip -n "${P}lan-$net" link set "v-$h" master br0 up
	ip -n "$P$h" addr add "${ADDR[$h]}/24" dev eth0
	ip -n "$P$h" link set eth0 up
	ip -n "$P$h" route add default via "${ROUTER[$net]}"
done
for node in "${NODES[@]}"; do
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

# The one file every host gets, root-owned and not writable by others.
INVENTORY=$WORK/inventory
install -m 0644 -o root -g root "$SOURCE" "$INVENTORY"
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
probe() { # probe FROM TO-NAME TO-ADDR VIA-HOST
	local _ dev
	dev=$(ip -n "$P$4" route get "$3" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
	for _ in 1 2 3; do # three tries: the first may wait for ARP
		if ip netns exec "$P$1" ping -c1 -W1 "$3" >/dev/null 2>&1; then
			echo "PASS $1 -> $2 ($3, $4 sends it by $dev)"
			return
		fi
	done
	echo "FAIL $1 -> $2 ($3, $4 sends it by $dev)"
	failed=1
}
for from in server "${NODES[@]}"; do
	for to in "${NODES[@]}"; do
		[[ $from != "$to" ]] || continue
		src=$from
		[[ $from == server ]] || src=pod-${from#node-}
		probe "$src" "pod-${to#node-}" "${SUBNET[$to]}.2" "$from"
	done
done
# The tunnel's MTU, exactly: a 1450-byte packet that may not be fragmented.
if ip netns exec "${P}pod-0" ping -c1 -W1 -M do -s 1422 10.200.1.2 >/dev/null 2>&1; then
	echo "PASS pod-0 -> pod-1 (10.200.1.2), 1450 bytes, don't fragment"
else
	echo "FAIL pod-0 -> pod-1 (10.200.1.2), 1450 bytes, don't fragment"
	failed=1
fi

for h in "${HOSTS[@]}"; do
	ip netns exec "$P$h" "$BIN" remove --inventory "$INVENTORY" >/dev/null 2>&1 || echo "FAIL remove on $h"
	if ip -n "$P$h" link show podroutes-vx >/dev/null 2>&1 || [[ -n $(ip -n "$P$h" route show proto 157) ]]; then
		echo "FAIL remove on $h left a podroutes device or route"
		failed=1
	fi
done
[[ $failed -ne 0 ]] || echo "PASS remove left no podroutes device or route on any host"

if [[ $failed -ne 0 ]]; then
	echo "== some probes failed"
	exit 1
fi
echo "== all probes passed"
