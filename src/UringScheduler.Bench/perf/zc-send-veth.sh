#!/usr/bin/env bash
# Runs zc-send over a veth pair instead of loopback: a private network namespace for the sender, a second one for the
# receiver, the pair between them (10.77.0.1 -> 10.77.0.2, MTU 1500). Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN);
# the machine's own network namespace is not touched, and everything goes away when the run ends.
#
#   src/UringScheduler.Bench/perf/zc-send-veth.sh [SECONDS] [ROUNDS] [DEPTH] [SIZES] [NODELAY]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$("$here/build-zc-send.sh")"
seconds="${1:-1}" rounds="${2:-3}" depth="${3:-8}" sizes="${4:-64,1k,4k,16k,64k,256k,1m}" nodelay="${5:-1}"

exec unshare -n bash -c '
    set -euo pipefail
    ip link set lo up
    unshare -n sleep 3600 &
    peer=$!
    trap "kill $peer" EXIT
    sleep 0.2
    ip link add zc0 type veth peer name zc1
    ip link set zc1 netns "$peer"
    ip addr add 10.77.0.1/24 dev zc0
    ip link set zc0 up
    nsenter -t "$peer" -n sh -c "ip link set lo up; ip addr add 10.77.0.2/24 dev zc1; ip link set zc1 up"
    sleep 0.5
    ZC_PEER_NETNS=/proc/$peer/ns/net "$0" "$@" 10.77.0.2
' "$bin" "$seconds" "$rounds" "$depth" "$sizes" "$nodelay"
