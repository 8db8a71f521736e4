# lab-lib.sh: what lab.sh and lab-segments.sh share, sourced by both: the
# namespaces (named $P*, deleted on exit), a pod behind a node, the apply
# and check of every host, and the probes. The caller sets SCRIPT (its
# name, for messages), then BIN and P, and after sourcing HOSTS.

die() { echo "$SCRIPT: $*" >&2; exit 2; }

# need_tools checks what every lab needs: root, the binary, ip and ping.
need_tools() {
	[[ $EUID -eq 0 ]] || die "needs root to create network namespaces; run it as root (or: sudo make demo)"
	[[ -x $BIN ]] || die "$BIN: not an executable; build podroutes first"
	command -v ip >/dev/null || die "ip not found; run: apt-get install -y iproute2"
	command -v ping >/dev/null || die "ping not found; run: apt-get install -y iputils-ping"
}

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

# add_pod NODE SUBNET: a pod namespace pod-N behind node-N, SUBNET.2/24 on
# its eth0, SUBNET.1 on the node's side, the pod's default route via it.
add_pod() {
	local node=$1 subnet=$2 pod=pod-${1#node-}
	newns "$pod"
	ip -n "$P$node" link add "$pod" type veth peer name eth0 netns "$P$pod"
	ip -n "$P$node" addr add "$subnet.1/24" dev "$pod"
	ip -n "$P$node" link set "$pod" up
	ip -n "$P$pod" addr add "$subnet.2/24" dev eth0
	ip -n "$P$pod" link set eth0 up
	ip -n "$P$pod" route add default via "$subnet.1"
	ip netns exec "$P$node" sysctl -q -w net.ipv4.ip_forward=1
}

# share_inventory FILE: the one file every host gets, root-owned and not
# writable by others, as podroutes insists when root reads it (a checkout
# may belong to a user), as $INVENTORY; and the lab's own pass lock.
share_inventory() {
	INVENTORY=$WORK/inventory
	install -m 0644 -o root -g root "$1" "$INVENTORY"
	export PODROUTES_LOCK=$WORK/lock # the lab's own, not the host's /run/podroutes/lock-INO
}

# apply_and_check: every host applies the inventory, then shows its routes
# and check's report.
apply_and_check() {
	local h status
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
}

# probe FROM TO-NAME TO-ADDR [NOTE]: ping, three tries (the first may wait
# for ARP); a failure sets failed.
failed=0
probe() {
	local _ note=${4:+, $4}
	for _ in 1 2 3; do
		if ip netns exec "$P$1" ping -c1 -W1 "$3" >/dev/null 2>&1; then
			echo "PASS $1 -> $2 ($3$note)"
			return
		fi
	done
	echo "FAIL $1 -> $2 ($3$note)"
	failed=1
}

# verdict ends the lab: exit 1 if a probe failed.
verdict() {
	if [[ $failed -ne 0 ]]; then
		echo "== some probes failed"
		exit 1
	fi
	echo "== all probes passed"
}
