#!/usr/bin/env bash
# The echo comparison: the EchoServer sample's engines against a C epoll echo server, driven by the same C load
# client (echo-load), on loopback.
#
#   src/UringScheduler.Bench/perf/echo-compare.sh [options]
#     --rounds R            rounds (default 3); each round runs every engine once per connections x size
#     --duration D          measured seconds per run (default 5)
#     --warmup W            warm-up seconds per run, not measured (default 1)
#     --engines LIST        comma separated, from c-epoll,sockets,uring,uring-leased (default: c-epoll,sockets,uring)
#     --connections LIST    default 1,64,1000
#     --sizes LIST          message sizes in bytes, default 64,4096
#     --no-pin              run server and client unpinned, each with one thread/worker per CPU
#     --out DIR             where raw results go (default artifacts/perf/echo/<UTC time>)
#
# Builds echo-load and echo-epoll (build-echo.sh) and the EchoServer sample (Release), then per round, per
# connections x size, runs each engine in turn (the order rotates from round to round): starts the server, waits for
# its `ready` line, runs echo-load for W + D seconds, reads the server's CPU time from /proc/PID/stat before and after
# the client, stops the server with SIGINT and reads its `stats:` line. An engine whose server exits with code 2 (the
# uring engine before the library has sockets on the rings) is skipped for the rest of the run, with a note.
#
# Pinning (default): the client runs on the first half of the CPUs and the server on the other half (on 2 CPUs:
# client on CPU 0, server on CPU 1), each with as many threads/workers as it has CPUs, so that neither steals the
# other's cores. With --no-pin both float over every CPU.
#
# Output: a table of medians over the rounds and the ratios uring/sockets, uring/c-epoll and sockets/c-epoll
# (also OUT/summary.txt); every run in OUT/runs.tsv; logs and echo-load's JSON per run in OUT/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

rounds=3
duration=5
warmup=1
engines="c-epoll,sockets,uring"
connections="1,64,1000"
sizes="64,4096"
pin=1
out=""

usage() { sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --engines) engines="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --sizes) sizes="$2"; shift 2 ;;
        --no-pin) pin=0; shift ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "echo-compare.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

out="${out:-$root/artifacts/perf/echo/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

IFS=, read -r -a engine_list <<<"$engines"
IFS=, read -r -a conn_list <<<"$connections"
IFS=, read -r -a size_list <<<"$sizes"
for e in "${engine_list[@]}"; do
    case "$e" in c-epoll|sockets|uring|uring-leased) ;; *) echo "echo-compare.sh: unknown engine '$e'" >&2; exit 2 ;; esac
done

# 1000 connections need 1000 descriptors in the client and as many in the server, plus their own.
max_conns=0
for c in "${conn_list[@]}"; do [ "$c" -gt "$max_conns" ] && max_conns="$c"; done
want_fds=$((max_conns * 2 + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_fds" ]; then
    ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max_conns + 64)) ]; then
        echo "echo-compare.sh: ulimit -n is $(ulimit -n), too low for $max_conns connections (raise the hard limit)" >&2
        exit 1
    fi
fi

log "building echo-load, echo-epoll and the EchoServer sample"
bin="$("$here/build-echo.sh")"
dotnet build samples/EchoServer/EchoServer.csproj -c Release -nologo -v:quiet -clp:NoSummary >"$out/build.log" 2>&1 \
    || { cat "$out/build.log" >&2; exit 1; }
dll="$root/samples/EchoServer/bin/Release/net10.0/EchoServer.dll"

# The CPUs this script may run on, in order; the client takes the first half, the server the rest.
read -r -a allowed <<<"$(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')"
cpus=${#allowed[@]}
if [ "$pin" -eq 1 ] && [ "$cpus" -ge 2 ]; then
    half=$((cpus / 2))
    client_cpus="$(IFS=,; echo "${allowed[*]:0:half}")"
    server_cpus="$(IFS=,; echo "${allowed[*]:half}")"
    client_threads="$half"
    server_workers=$((cpus - half))
    client_prefix=(taskset -c "$client_cpus")
    server_prefix=(taskset -c "$server_cpus")
    placement="client pinned to CPUs $client_cpus ($client_threads threads), server to CPUs $server_cpus ($server_workers workers)"
else
    client_threads="$cpus"
    server_workers="$cpus"
    client_prefix=()
    server_prefix=()
    placement="unpinned: client $client_threads threads, server $server_workers workers, over $cpus CPUs"
fi

ticks="$(getconf CLK_TCK)"
# utime + stime of the whole process, in clock ticks (fields 14 and 15; the command name may hold spaces).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# The machine's busy and total clock ticks, over every CPU (user nice system idle iowait irq softirq steal).
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap stop_server EXIT

declare -A skipped=()
runs="$out/runs.tsv"
printf 'round\tengine\tconnections\tsize\trequests_per_sec\trequests\ttotal_requests\tp50_ns\tp99_ns\tp999_ns\tmax_ns\terrors\tserver_cpu_ns\tcpu_ns_per_request\tthreadpool_items\tthreadpool_items_per_request\tallocated_bytes\tallocated_bytes_per_request\tserver_connections\tload1\tothers_cpu_pct\n' >"$runs"
echo "load at start: $(cat /proc/loadavg)" >"$out/load.txt"

# One run: $1 round, $2 engine, $3 connections, $4 size.
run_one() {
    local round="$1" engine="$2" conns="$3" size="$4"
    local name="r$round-$engine-c$conns-s$size"
    local slog="$out/$name.server.log" json="$out/$name.json"
    local cmd
    case "$engine" in
        c-epoll) cmd=("$bin/echo-epoll" -p 0 -t "$server_workers") ;;
        sockets) cmd=(dotnet "$dll" --port 0 --engine sockets --workers "$server_workers") ;;
        uring) cmd=(dotnet "$dll" --port 0 --engine uring --workers "$server_workers") ;;
        uring-leased) cmd=(dotnet "$dll" --port 0 --engine uring-leased --workers "$server_workers") ;;
    esac
    local load1
    load1="$(cut -d' ' -f1 /proc/loadavg)"
    # A background job of a script starts with SIGINT ignored, and .NET keeps an inherited SIG_IGN: restore it.
    env --default-signal=INT,TERM "${server_prefix[@]}" "${cmd[@]}" >"$slog" 2>&1 &
    server_pid=$!
    local waited=0
    until grep -qs ready "$slog"; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            local rc=0
            wait "$server_pid" || rc=$?
            server_pid=""
            if [ "$rc" -eq 2 ]; then
                skipped[$engine]="$(head -1 "$slog")"
                log "$engine: skipped, the server exited with code 2: ${skipped[$engine]}"
                return 0
            fi
            echo "echo-compare.sh: $engine server exited with code $rc before it was ready:" >&2
            cat "$slog" >&2
            exit 1
        fi
        waited=$((waited + 1))
        if [ "$waited" -gt 600 ]; then
            echo "echo-compare.sh: $engine server not ready after 30 s, see $slog" >&2
            exit 1
        fi
        sleep 0.05
    done
    local port
    port="$(grep -m1 -o 'port=[0-9]*' "$slog" | cut -d= -f2)"
    local before after machine_before machine_after
    machine_before="$(machine_ticks)"
    before="$(cpu_ticks "$server_pid")"
    local client_rc=0
    "${client_prefix[@]}" "$bin/echo-load" -p "$port" -c "$conns" -s "$size" -d "$duration" -w "$warmup" \
        -t "$client_threads" -j "$json" -q >"$out/$name.client.log" 2>&1 || client_rc=$?
    after="$(cpu_ticks "$server_pid")"
    machine_after="$(machine_ticks)"
    kill -INT "$server_pid"
    local i=0
    while kill -0 "$server_pid" 2>/dev/null && [ "$i" -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "echo-compare.sh: $engine server did not stop within 15 s of SIGINT, see $slog" >&2
        exit 1
    fi
    local server_rc=0
    wait "$server_pid" || server_rc=$?
    server_pid=""
    if [ "$client_rc" -ne 0 ] || [ "$server_rc" -ne 0 ] || ! grep -q '^stats:' "$slog"; then
        echo "echo-compare.sh: $name failed (client exit $client_rc, server exit $server_rc):" >&2
        cat "$out/$name.client.log" "$slog" >&2
        exit 1
    fi
    python3 - "$json" "$slog" "$round" "$engine" "$conns" "$size" "$before" "$after" "$ticks" "$load1" \
        "$machine_before" "$machine_after" >>"$runs" <<'PY'
import json, re, sys
path, slog, rnd, engine, conns, size, before, after, ticks, load1, m0, m1 = sys.argv[1:13]
j = json.load(open(path))
stats = {}
for line in open(slog):
    if line.startswith("stats:"):
        stats = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
total = max(j["total_requests"], 1)
cpu_ns = (int(after) - int(before)) * 1e9 / int(ticks)
def per(key):
    return ("%.3f" % (int(stats[key]) / total), stats[key]) if key in stats else ("nan", "nan")
tp_per, tp = per("threadpool_items")
# What the other processes took: the machine's busy time during the client's run, less the server's and the client's.
busy = float(m1.split()[0]) - float(m0.split()[0])
total_ticks = float(m1.split()[1]) - float(m0.split()[1])
ours = int(after) - int(before) + j["cpu_ms"] * int(ticks) / 1e3
others = max(0.0, 100 * (busy - ours) / total_ticks) if total_ticks > 0 else float("nan")
al_per, al = per("allocated_bytes")
print("\t".join(str(v) for v in [rnd, engine, conns, size, j["requests_per_sec"], j["requests"], j["total_requests"],
      j["p50_ns"], j["p99_ns"], j["p999_ns"], j["max_ns"], j["errors"], "%.0f" % cpu_ns, "%.1f" % (cpu_ns / total),
      tp, tp_per, al, al_per, stats.get("connections", "nan"), load1, "%.1f" % others]))
PY
    log "$name: $(tail -1 "$runs" | awk -F'\t' '{ printf "%s req/s, p99 %.1f us, server cpu %s ns/req, errors %s (load %s, others %s %%)", $5, $9 / 1000, $14, $12, $20, $21 }')"
}

log "$rounds round(s) x ${#conn_list[@]} connection counts x ${#size_list[@]} sizes x engines {$engines}, ${warmup} s warm-up + ${duration} s each; $placement"
log "load: $(cat /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
    # Rotate the engines' order each round, so that none always runs first (or right after another).
    order=()
    n=${#engine_list[@]}
    for k in $(seq 0 $((n - 1))); do order+=("${engine_list[$(((k + round - 1) % n))]}"); done
    for conns in "${conn_list[@]}"; do
        for size in "${size_list[@]}"; do
            for engine in "${order[@]}"; do
                [ -n "${skipped[$engine]:-}" ] && continue
                run_one "$round" "$engine" "$conns" "$size"
            done
        done
    done
done
echo "load at end: $(cat /proc/loadavg)" >>"$out/load.txt"
skipped_notes=""
for e in "${!skipped[@]}"; do skipped_notes+="$e skipped: ${skipped[$e]}"$'\n'; done
printf '%s' "$skipped_notes" >"$out/skipped.txt"

python3 - "$runs" "$rounds" "$duration" "$warmup" "$placement" "$out/load.txt" "$out/skipped.txt" <<'PY' | tee "$out/summary.txt"
import csv, statistics, sys
from collections import defaultdict

path, rounds, duration, warmup, placement, load_path, skipped_path = sys.argv[1:8]
rows = list(csv.DictReader(open(path), delimiter="\t"))
data = defaultdict(list)  # (connections, size, engine) -> rows
for r in rows:
    data[(int(r["connections"]), int(r["size"]), r["engine"])].append(r)

def med(key, conns, size, engine):
    values = [float(r[key]) for r in data.get((conns, size, engine), []) if r[key] != "nan"]
    return statistics.median(values) if values else float("nan")

def fmt(v, spec):
    return "-" if v != v else format(v, spec)

engines = [e for e in ("c-epoll", "sockets", "uring", "uring-leased") if any(k[2] == e for k in data)]
cases = sorted({(k[0], k[1]) for k in data})
print()
print(f"echo-compare.sh: {rounds} round(s), {warmup} s warm-up + {duration} s per run, loopback 127.0.0.1; {placement}")
print("".join(open(load_path).read().splitlines(True)), end="")
print()
print(f"{'conns':>5} {'size':>5}  {'engine':<8} {'req/s':>10} {'p50 us':>8} {'p99 us':>8} {'p99.9 us':>9} "
      f"{'cpu us/req':>10} {'tp items/req':>12} {'alloc B/req':>11} {'errors':>6} {'others %':>8}   req/s per round (others %)")
for conns, size in cases:
    for e in engines:
        rs = data.get((conns, size, e))
        if not rs:
            continue
        per = " ".join(f"{float(r['requests_per_sec']):,.0f} ({float(r['others_cpu_pct']):.0f})" for r in sorted(rs, key=lambda r: int(r["round"])))
        print(f"{conns:>5} {size:>5}  {e:<8} {fmt(med('requests_per_sec', conns, size, e), ',.0f'):>10} "
              f"{fmt(med('p50_ns', conns, size, e) / 1e3, '.1f'):>8} {fmt(med('p99_ns', conns, size, e) / 1e3, '.1f'):>8} "
              f"{fmt(med('p999_ns', conns, size, e) / 1e3, '.1f'):>9} "
              f"{fmt(med('cpu_ns_per_request', conns, size, e) / 1e3, '.2f'):>10} "
              f"{fmt(med('threadpool_items_per_request', conns, size, e), '.3f'):>12} "
              f"{fmt(med('allocated_bytes_per_request', conns, size, e), '.1f'):>11} "
              f"{sum(int(r['errors']) for r in rs):>6} {fmt(med('others_cpu_pct', conns, size, e), '.0f'):>8}   {per}")

pairs = [(a, b) for a, b in (("uring", "sockets"), ("uring", "c-epoll"), ("sockets", "c-epoll"), ("uring-leased", "uring"), ("uring-leased", "sockets")) if a in engines and b in engines]
if pairs:
    print()
    print("ratios of the medians (req/s: higher is better for the first; p99 and cpu/req: lower is better)")
    print(f"{'conns':>5} {'size':>5}  {'ratio':<18} {'req/s':>7} {'p99':>7} {'cpu/req':>8}")
    for conns, size in cases:
        for a, b in pairs:
            def ratio(key):
                x, y = med(key, conns, size, a), med(key, conns, size, b)
                return x / y if y == y and y else float("nan")
            print(f"{conns:>5} {size:>5}  {a + '/' + b:<18} {fmt(ratio('requests_per_sec'), '.3f'):>7} "
                  f"{fmt(ratio('p99_ns'), '.3f'):>7} {fmt(ratio('cpu_ns_per_request'), '.3f'):>8}")
skipped = open(skipped_path).read().strip()
if skipped:
    print()
    print(skipped)
    print("(ratios with a skipped engine are left out)")
print()
print(f"raw: {path}")
PY
