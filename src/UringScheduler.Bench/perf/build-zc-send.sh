#!/usr/bin/env bash
# Builds zc-send.c (IORING_OP_SEND against IORING_OP_SEND_ZC over TCP, raw io_uring) with the machine's gcc and, with
# arguments, runs it.
#
#   src/UringScheduler.Bench/perf/build-zc-send.sh                      build only; prints the binary's path
#   src/UringScheduler.Bench/perf/build-zc-send.sh run [SECONDS] [ROUNDS] [DEPTH] [SIZES] [NODELAY] [BIND_ADDR]   build, then run
#
# The binary goes to artifacts/perf/bin/zc-send (git-ignored), or to $OUT if set. Never commit it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${OUT:-$root/artifacts/perf/bin/zc-send}"
mkdir -p "$(dirname "$out")"

if ! command -v gcc >/dev/null 2>&1; then
    echo "gcc is missing (apt-get install -y gcc)" >&2
    exit 1
fi

if [ ! -x "$out" ] || [ "$here/zc-send.c" -nt "$out" ]; then
    gcc -O2 -Wall -Wextra -Werror -std=gnu11 -pthread -o "$out" "$here/zc-send.c"
fi

if [ "${1:-}" = "run" ]; then
    shift
    exec "$out" "$@"
fi
echo "$out"
