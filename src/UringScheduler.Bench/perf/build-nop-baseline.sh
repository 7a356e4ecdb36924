#!/usr/bin/env bash
# Builds nop-baseline.c (raw io_uring NOP loop, the kernel's per-op floor) with the machine's gcc and, with
# arguments, runs it.
#
#   src/UringScheduler.Bench/perf/build-nop-baseline.sh                      build only; prints the binary's path
#   src/UringScheduler.Bench/perf/build-nop-baseline.sh run [SECONDS] [BATCH] [THREADS]   build, then run
#
# The binary goes to artifacts/perf/nop-baseline (git-ignored), or to $OUT if set. Never commit it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${OUT:-$root/artifacts/perf/nop-baseline}"
mkdir -p "$(dirname "$out")"

if ! command -v gcc >/dev/null 2>&1; then
    echo "gcc is missing (apt-get install -y gcc)" >&2
    exit 1
fi

if [ ! -x "$out" ] || [ "$here/nop-baseline.c" -nt "$out" ]; then
    gcc -O2 -Wall -Wextra -Werror -std=gnu11 -pthread -o "$out" "$here/nop-baseline.c"
fi

if [ "${1:-}" = "run" ]; then
    shift
    exec "$out" "$@"
fi
echo "$out"
