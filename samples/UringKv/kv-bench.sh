#!/usr/bin/env bash
# kv-bench: redis-benchmark against UringKv, redis-server and (when it can be installed) garnet-server, with the same
# durability, interleaved: every round runs each server once, on fresh data, so that all of them see the same load on a
# shared machine. The figures reported are the medians over the rounds, and UringKv's ratios to the others.
#   ./build.sh kv-bench [--requests N] [--clients N] [--pipeline N] [--keyspace N] [--size N] [--tests LIST]
#                       [--rounds N] [--workers N[,N...]] [--durability always|everysec|no|both]
#                       [--no-redis] [--no-garnet] [--garnet-durable-requests N]
# Defaults: 1,000,000 requests, 50 clients, pipeline 16, keyspace 100,000, values of 100 bytes, tests ping,set,get,
# 3 rounds, one worker per CPU, durability both (always, then no). garnet-server with --aof-commit-wait runs SET at a
# few thousand requests per second here, so with durability always it gets --garnet-durable-requests (100,000).
# Installs redis-tools (redis-benchmark) and redis-server with apt-get when they are missing, and garnet-server with
# `dotnet tool install` into artifacts/tools/garnet. Servers listen on 127.0.0.1 only and keep their data in a temporary
# folder that is removed at the end. Results: artifacts/kv-bench/ (one CSV per run, summary.md with the medians).
#
# --large: GET of values from a data set larger than the servers' memory, UringKv against garnet-server with its
# storage tier (kv-bench-large.sh; needs root and a cgroup memory controller, v1 or v2, and fio):
#   ./build.sh kv-bench --large [--memory-mb 256] [--data-mb 2048] [--rounds 3] [--requests 200000] [--clients 50]
#                       [--pipeline 1] [--value-size 4096] [--workers 2,1] [--cache-mb M] [--no-garnet]
#                       [--direct-reads yes|no|both] [--garnet-args "--minthreads 128 --miniothreads 128"] [--perf]
# Each server runs in a memory cgroup of --memory-mb (page cache included), is loaded with every key once
# (data-mb / value-size keys, named as redis-benchmark -r names them), has its files dropped from the page cache, then
# answers redis-benchmark -t get on random keys. Both run without durability; UringKv keeps --cache-mb of values in
# memory (default: a quarter of the limit, split over its shards) and reads the others with O_DIRECT (--direct-reads
# yes; no: buffered reads; both: each UringKv twice), garnet-server gets the same as --memory and an index for the keys. fio randread 4k runs once per round for the device's figure of the moment. Results, with what
# each server read from the device per GET: artifacts/kv-bench-large/ (summary.md). --perf records each server's GET
# phase with perf record -g (a diagnostic run: the figures of such a run include perf's cost).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

requests=1000000
clients=50
pipeline=16
keyspace=100000
size=100
tests=ping,set,get
rounds=3
workers=""
durability=both
with_redis=1
with_garnet=1
garnet_version=2.2.8
garnet_durable_requests=100000
large=0
memory_mb=256
data_mb=2048
cache_mb=""
garnet_args=""
with_perf=0
direct_reads=yes
value_size=4096
pipeline_set=0
requests_set=0
while [ $# -gt 0 ]; do
    case "$1" in
        --large) large=1; shift ;;
        --memory-mb) memory_mb="$2"; shift 2 ;;
        --data-mb) data_mb="$2"; shift 2 ;;
        --cache-mb) cache_mb="$2"; shift 2 ;;
        --value-size) value_size="$2"; shift 2 ;;
        --garnet-args) garnet_args="$2"; shift 2 ;;
        --perf) with_perf=1; shift ;;
        --direct-reads) direct_reads="$2"; shift 2 ;;
        --requests) requests="$2"; requests_set=1; shift 2 ;;
        --clients) clients="$2"; shift 2 ;;
        --pipeline) pipeline="$2"; pipeline_set=1; shift 2 ;;
        --keyspace) keyspace="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --tests) tests="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --durability) durability="$2"; shift 2 ;;
        --no-redis) with_redis=0; shift ;;
        --no-garnet) with_garnet=0; shift ;;
        --garnet-durable-requests) garnet_durable_requests="$2"; shift 2 ;;
        *) echo "kv-bench: unknown option $1" >&2; exit 2 ;;
    esac
done

case "$durability" in
    both) modes=(always no) ;;
    always|everysec|no) modes=("$durability") ;;
    *) echo "kv-bench: --durability must be always, everysec, no or both" >&2; exit 2 ;;
esac

[ "$large" -eq 1 ] && with_redis=0
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

garnet="artifacts/tools/garnet/garnet-server"
if [ "$with_garnet" -eq 1 ] && [ ! -x "$garnet" ]; then
    if ! dotnet tool install garnet-server --version "$garnet_version" --tool-path artifacts/tools/garnet >/dev/null 2>&1; then
        echo "kv-bench: garnet-server could not be installed (dotnet tool install garnet-server); going on without it"
        with_garnet=0
    fi
fi

dotnet build samples/UringKv/UringKv.csproj -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
out="artifacts/kv-bench"
[ "$large" -eq 1 ] && out="artifacts/kv-bench-large"
rm -rf "$out"
mkdir -p "$out"
data="$(mktemp -d /tmp/kv-bench.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_ready() { # port
    for _ in $(seq 1 300); do
        redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "kv-bench: the server on port $1 did not start" >&2
    return 1
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

if [ "$large" -eq 1 ]; then
    # shellcheck source=kv-bench-large.sh
    source "$root/samples/UringKv/kv-bench-large.sh"
    exit 0
fi

# Starts one server (name mode port dir) in the background; sets server_pid.
start_server() {
    local name="$1" mode="$2" port="$3" dir="$4"
    mkdir -p "$dir"
    case "$name" in
        uringkv*)
            local args=(--port "$port" --dir "$dir" --durability "$mode")
            [ "$name" != uringkv ] && args+=(--workers "${name#uringkv-w}")
            dotnet samples/UringKv/bin/Release/net10.0/UringKv.dll "${args[@]}" >"$out/$name-$mode.log" 2>&1 &
            ;;
        redis)
            local persistence=(--appendonly no)
            [ "$mode" != no ] && persistence=(--appendonly yes --appendfsync "$mode")
            redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" "${persistence[@]}" \
                --daemonize no --logfile "" >"$out/$name-$mode.log" 2>&1 &
            ;;
        garnet)
            # The native (libaio) device is not loadable everywhere; the RandomAccess device is the portable one.
            local aof=()
            [ "$mode" = always ] && aof=(--aof --aof-commit-wait)
            [ "$mode" = everysec ] && aof=(--aof --aof-commit-freq 1000)
            "$garnet" --bind 127.0.0.1 --port "$port" --checkpointdir "$dir" --device-type RandomAccess "${aof[@]}" \
                >"$out/$name-$mode.log" 2>&1 &
            ;;
    esac
    server_pid=$!
}

servers=()
if [ -n "$workers" ]; then
    IFS=',' read -r -a worker_counts <<<"$workers"
    for w in "${worker_counts[@]}"; do servers+=("uringkv-w$w"); done
else
    servers+=(uringkv)
fi
[ "$with_redis" -eq 1 ] && servers+=(redis)
[ "$with_garnet" -eq 1 ] && servers+=(garnet)

echo "kv-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs"
echo "kv-bench: redis-benchmark -n $requests -c $clients -P $pipeline -d $size -r $keyspace -t $tests; $rounds round(s); servers: ${servers[*]}"
for round in $(seq 1 "$rounds"); do
    for mode in "${modes[@]}"; do
        # Each round starts with a different server, so that none always runs first (or right after another's fsyncs).
        count=${#servers[@]}
        for i in $(seq 0 $((count - 1))); do
            name="${servers[$(((i + round - 1) % count))]}"
            port="$(free_port)"
            start_server "$name" "$mode" "$port" "$data/$name-$mode-$round"
            wait_ready "$port"
            load="$(cut -d' ' -f1-3 /proc/loadavg)"
            csv="$out/$mode-$name-r$round.csv"
            n="$requests"
            [ "$name" = garnet ] && [ "$mode" != no ] && [ "$garnet_durable_requests" -lt "$n" ] && n="$garnet_durable_requests"
            redis-benchmark -p "$port" -n "$n" -c "$clients" -P "$pipeline" -d "$size" -r "$keyspace" -t "$tests" --csv >"$csv"
            echo "round $round, durability $mode, $name ($n requests, load $load): $(tail -n +2 "$csv" | awk -F, '{gsub(/"/, ""); printf "%s %.0f  ", $1, $2}')"
            echo "$load" >"$out/$mode-$name-r$round.load"
            if [[ "$name" == uringkv* ]]; then
                redis-cli -p "$port" info persistence | tr -d '\r' | grep -E '^(fsyncs|writes_per_fsync):' >"$out/$mode-$name-r$round.info" || true
            fi
            stop_server
            rm -rf "$data/$name-$mode-$round"
        done
    done
done

python3 - "$out" "${servers[*]}" "${modes[*]}" <<'EOF' | tee "$out/summary.md"
import csv, glob, os, statistics, sys
out, servers, modes = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
for mode in modes:
    medians, tests = {}, []
    for server in servers:
        runs = {}
        for path in sorted(glob.glob(os.path.join(out, f"{mode}-{server}-r*.csv"))):
            with open(path) as f:
                for row in csv.DictReader(f):
                    runs.setdefault(row["test"], []).append(float(row["rps"]))
                    if row["test"] not in tests:
                        tests.append(row["test"])
        medians[server] = {t: statistics.median(v) for t, v in runs.items()}
    ours = [s for s in servers if s.startswith("uringkv")]
    others = [s for s in servers if not s.startswith("uringkv")]
    header = ["test"] + servers + [f"{a} / {b}" for a in ours for b in others]
    print(f"\ndurability {mode} (requests per second, median of the rounds):\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for t in tests:
        cells = [t] + [f"{medians[s].get(t, 0):,.0f}" for s in servers]
        cells += [f"{medians[a].get(t, 0) / medians[b][t]:.2f}x" if medians[b].get(t) else "-" for a in ours for b in others]
        print("| " + " | ".join(cells) + " |")
EOF
echo "kv-bench: results in $out/"
