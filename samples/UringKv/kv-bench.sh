#!/usr/bin/env bash
# kv-bench: redis-benchmark against UringKv and, for reference, against redis-server with the same durability.
#   ./build.sh kv-bench [--requests N] [--clients N] [--pipeline N] [--keyspace N] [--workers N]
#                       [--durability always|everysec|no] [--no-redis]
# Installs redis-tools (redis-benchmark) and redis-server with apt-get when they are missing. Both servers listen on
# 127.0.0.1 only and keep their data in a temporary folder that is removed at the end. Results (redis-benchmark's CSV)
# go to artifacts/kv-bench/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

requests=100000
clients=50
pipeline=16
keyspace=100000
workers=""
durability=always
with_redis=1
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) requests="$2"; shift 2 ;;
        --clients) clients="$2"; shift 2 ;;
        --pipeline) pipeline="$2"; shift 2 ;;
        --keyspace) keyspace="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --durability) durability="$2"; shift 2 ;;
        --no-redis) with_redis=0; shift ;;
        *) echo "kv-bench: unknown option $1" >&2; exit 2 ;;
    esac
done

need=()
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)
[ "$with_redis" -eq 1 ] && ! command -v redis-server >/dev/null 2>&1 && need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
    echo "kv-bench: installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build samples/UringKv/UringKv.csproj -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
out="artifacts/kv-bench"
mkdir -p "$out"
data="$(mktemp -d /tmp/kv-bench.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$data"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_ready() { # port
    for _ in $(seq 1 100); do
        redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "kv-bench: the server on port $1 did not start" >&2
    return 1
}

run() { # name port
    local name="$1" port="$2"
    echo "== $name (port $port): $requests requests, $clients clients, keyspace $keyspace"
    redis-benchmark -p "$port" -n "$requests" -c "$clients" -r "$keyspace" --csv \
        -t ping_inline,ping_mbulk,set,get,incr,mset | tee "$out/$name.csv"
    echo "== $name: pipeline $pipeline"
    redis-benchmark -p "$port" -n "$((requests * 4))" -c "$clients" -r "$keyspace" -P "$pipeline" --csv \
        -t set,get | tee "$out/$name-pipelined.csv"
}

kv_port="$(free_port)"
kv_args=(--port "$kv_port" --dir "$data/uringkv" --durability "$durability")
[ -n "$workers" ] && kv_args+=(--workers "$workers")
dotnet samples/UringKv/bin/Release/net10.0/UringKv.dll "${kv_args[@]}" >"$out/uringkv.log" 2>&1 &
pids+=($!)
wait_ready "$kv_port"
run uringkv "$kv_port"
redis-cli -p "$kv_port" info persistence | tr -d '\r' | grep -E '^(appendfsync|log_records|log_batches|fsyncs|writes_per_fsync):' | tee "$out/uringkv-persistence.txt"

if [ "$with_redis" -eq 1 ]; then
    redis_port="$(free_port)"
    mkdir -p "$data/redis"
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$data/redis" --save "" --appendonly yes \
        --appendfsync "$durability" --daemonize no --logfile "" >"$out/redis-server.log" 2>&1 &
    pids+=($!)
    wait_ready "$redis_port"
    run redis-server "$redis_port"
fi

echo "kv-bench: results in $out/"
