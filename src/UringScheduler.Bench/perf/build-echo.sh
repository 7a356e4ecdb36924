#!/usr/bin/env bash
# Builds the echo comparison's C programs with the machine's gcc:
#   echo-load   closed-loop ping-pong load client (epoll, one thread per core)
#   echo-epoll  minimal epoll echo server, the reference point
#
#   src/UringScheduler.Bench/perf/build-echo.sh        builds what is out of date; prints the output folder
#
# The binaries go to artifacts/perf/bin (git-ignored), or to $ECHO_BIN_DIR if set. Never commit them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="${ECHO_BIN_DIR:-$root/artifacts/perf/bin}"
mkdir -p "$bin"

if ! command -v gcc >/dev/null 2>&1; then
    echo "gcc is missing: the echo comparison needs it to build echo-load.c and echo-epoll.c (apt-get install -y gcc)" >&2
    exit 1
fi

for name in echo-load echo-epoll; do
    if [ ! -x "$bin/$name" ] || [ "$here/$name.c" -nt "$bin/$name" ]; then
        gcc -O2 -Wall -Wextra -Werror -std=gnu11 -pthread -o "$bin/$name" "$here/$name.c"
    fi
done
echo "$bin"
