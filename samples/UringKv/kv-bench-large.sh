# kv-bench --large: GET of 4 KiB values from a data set several times the server's memory, UringKv against
# garnet-server with its storage tier. Sourced by kv-bench.sh (which parses the options, installs the tools, builds
# UringKv and defines free_port and wait_ready); see the header there for the options.
#
# Every run of a server, in every round: a fresh memory cgroup with the limit (page cache counts against it), the
# server started inside it on an empty folder, every key written once in order (redis-cli --pipe), the folder's files
# written back and dropped from the page cache, then redis-benchmark GET on random keys. What the process read from
# the device (/proc/PID/io read_bytes), the device's own read count and the cgroup's page cache are recorded around
# the GET phase, so that the table shows the values came from the disk. fio randread runs once per round, to give
# the device's figure of the moment (a throttled virtual disk drifts several-fold over minutes).

keys=$((data_mb * 1024 * 1024 / value_size))
[ "$requests_set" -eq 0 ] && requests=200000
# One request in flight per client: a GET that misses memory waits for the device, and a client that waits for its
# reply before sending the next is what a cache-backed service sees; 50 clients keep up to 50 reads in flight.
[ "$pipeline_set" -eq 0 ] && pipeline=1
[ -z "$workers" ] && workers="2,1"
# With the ThreadPool's default minimum (one thread per CPU), garnet-server's GETs that go to the device stall for
# seconds at a time under 50 clients while the pool grows; a minimum of 128 worker and I/O threads removes the stalls
# (see docs/storage-service.md).
[ -z "$garnet_args" ] && garnet_args="--minthreads 128 --miniothreads 128"
# Values kept in memory, for both servers: garnet's main-log memory, UringKv's value cache (split over its shards).
value_memory_mb=$((memory_mb / 4))
[ -z "$cache_mb" ] && cache_mb="$value_memory_mb"
pow2_floor() { local n=1; while [ $((n * 2)) -le "$1" ]; do n=$((n * 2)); done; echo "$n"; }
garnet_memory_mb="$(pow2_floor "$value_memory_mb")"
# The hash index: 64-byte buckets of 7 entries; one bucket per 2 keys leaves room for collisions.
garnet_index_mb="$(pow2_floor $(( (keys / 2 * 64 + 1048575) / 1048576 )))"
[ "$garnet_index_mb" -lt 1 ] && garnet_index_mb=1

# The memory controller: cgroup v2 (with "memory" in cgroup.controllers) first, else a v1 memory hierarchy; the run's
# cgroups go below the one this shell is in, so that limits above it still hold. Prints "VERSION PARENT" or the reason.
cgroup_parent="$(python3 - <<'EOF'
import os, sys
found = []
for line in open("/proc/self/mountinfo"):
    f = line.split()
    if "-" not in f:
        continue
    d = f.index("-")
    mount, root, fstype, superopts = f[4].replace("\\040", " "), f[3], f[d + 1], f[d + 3].split(",")
    ro = "ro" in f[5].split(",") or "ro" in superopts
    if fstype == "cgroup2":
        try:
            if "memory" in open(os.path.join(mount, "cgroup.controllers")).read().split():
                found.insert(0, (2, mount, root, ro))
        except OSError:
            pass
    elif fstype == "cgroup" and "memory" in superopts:
        found.append((1, mount, root, ro))
if not found:
    print("no cgroup memory controller is mounted (neither cgroup v2 with 'memory' in cgroup.controllers nor a v1 memory hierarchy)")
    sys.exit(1)
problems = []
for version, mount, root, ro in found:
    current = "/"
    for line in open("/proc/self/cgroup"):
        ident, controllers, path = line.rstrip("\n").split(":", 2)
        if (version == 2 and ident == "0") or (version == 1 and "memory" in controllers.split(",")):
            current = path
    if root != "/" and current.startswith(root):
        current = current[len(root):]
    parent = os.path.join(mount, current.strip("/")) if current.strip("/") else mount
    if ro or not os.access(parent, os.W_OK):
        problems.append(f"cgroup v{version} at {parent} is not writable (run as root, on a read-write cgroup file system)")
        continue
    if version == 2:
        subtree = os.path.join(parent, "cgroup.subtree_control")
        try:
            if "memory" not in open(subtree).read().split():
                with open(subtree, "w") as s:
                    s.write("+memory")
        except OSError as e:
            problems.append(f"cgroup v2 at {parent}: cannot enable the memory controller for its children ({e.strerror})")
            continue
    print(version, parent)
    sys.exit(0)
print("; ".join(problems))
sys.exit(1)
EOF
)" || { echo "kv-bench: --large needs a writable memory cgroup: $cgroup_parent" >&2; exit 1; }
cgroup_version="${cgroup_parent%% *}"
cgroup_parent="${cgroup_parent#* }"
cgroup=""

cgroup_file() { # v1-name v2-name: the file of the current cgroup for this version
    if [ "$cgroup_version" -eq 2 ]; then echo "$cgroup/$2"; else echo "$cgroup/$1"; fi
}

make_cgroup() { # name
    cgroup="$cgroup_parent/kv-bench-$$-$1"
    mkdir "$cgroup"
    echo $((memory_mb * 1024 * 1024)) >"$(cgroup_file memory.limit_in_bytes memory.max)"
}

remove_cgroup() {
    [ -n "$cgroup" ] && [ -d "$cgroup" ] && rmdir "$cgroup" 2>/dev/null || true
    cgroup=""
}

cgroup_stat() { # v1-key v2-key: a value of memory.stat
    local key="$1"
    [ "$cgroup_version" -eq 2 ] && key="$2"
    awk -v k="$key" '$1 == k { print $2 }' "$cgroup/memory.stat"
}

cgroup_peak() {
    cat "$(cgroup_file memory.max_usage_in_bytes memory.peak)" 2>/dev/null || echo -1
}

cgroup_oom_kills() {
    local file
    file="$(cgroup_file memory.oom_control memory.events)"
    awk '$1 == "oom_kill" { print $2; found = 1 } END { if (!found) print 0 }' "$file" 2>/dev/null || echo 0
}

# The block device that holds the data folder, for its read count (/sys/class/block/NAME/stat).
data_device="$(basename "$(df --output=source "$data" | tail -n 1)")"
device_reads() {
    if [ -r "/sys/class/block/$data_device/stat" ]; then awk '{ print $1, $3 }' "/sys/class/block/$data_device/stat"; else echo "0 0"; fi
}

# UringKv's own counters (INFO stats): values read from the log, gen0 collections, bytes allocated.
uringkv_stats() { redis-cli -p "$1" info stats | tr -d '\r' | grep -E '^(disk_reads|gc_collections|total_allocated_bytes):' || true; }

process_read_bytes() { awk '$1 == "read_bytes:" { print $2 }' "/proc/$1/io"; }

cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    remove_cgroup
    rm -rf "$data"
}
trap cleanup EXIT

# Starts one server (name port dir) inside the current cgroup; sets server_pid.
start_large_server() {
    local name="$1" port="$2" dir="$3" command=()
    mkdir -p "$dir"
    case "$name" in
        uringkv-w*)
            local w="${name#uringkv-w}"
            w="${w%-buffered}"
            command=(dotnet samples/UringKv/bin/Release/net10.0/UringKv.dll --port "$port" --dir "$dir" --durability no
                --workers "$w" --cache-mb $((cache_mb / w)))
            [[ "$name" != *-buffered ]] && command+=(--direct-reads)
            ;;
        garnet)
            command=("$garnet" --bind 127.0.0.1 --port "$port" --storage-tier --logdir "$dir" --checkpointdir "$dir"
                --memory "${garnet_memory_mb}m" --index "${garnet_index_mb}m" --device-type RandomAccess)
            # shellcheck disable=SC2206 # extra options, split on blanks
            [ -n "$garnet_args" ] && command+=($garnet_args)
            ;;
    esac
    # perf resolves the JIT's code through /tmp/perf-PID.map.
    [ "$with_perf" -eq 1 ] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
    # The shell moves itself into the cgroup, then becomes the server: every byte it charges is counted there.
    sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cgroup" "${command[@]}" >"$out/$name-r$round.log" 2>&1 &
    server_pid=$!
}

# Every key once, in order, with the names redis-benchmark -r uses (key:%012d).
load_keys() { # port
    python3 - "$keys" "$value_size" <<'EOF' | redis-cli -p "$1" --pipe --pipe-timeout 120
import sys
keys, size = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
value = b"v" * size
tail = b"\r\n$%d\r\n%s\r\n" % (size, value)
batch = []
for i in range(keys):
    batch.append(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d" % i + tail)
    if len(batch) == 256:
        out.write(b"".join(batch))
        batch.clear()
out.write(b"".join(batch))
EOF
}

# Writes back and drops from the page cache every file below the folder.
evict() { # dir
    python3 - "$1" <<'EOF'
import os, sys
for folder, _, files in os.walk(sys.argv[1]):
    for name in files:
        fd = os.open(os.path.join(folder, name), os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
EOF
}

run_fio() { # round
    local result
    result="$(fio --name=r --rw=randread --bs=4k --direct=1 --ioengine=io_uring --iodepth=32 --size=1G --runtime=10 \
        --time_based --filename="$data/fio.dat" --output-format=json 2>/dev/null)"
    echo "$result" >"$out/fio-r$1.json"
    python3 -c 'import json, sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))' <<<"$result"
}

servers=()
IFS=',' read -r -a worker_counts <<<"$workers"
case "$direct_reads" in
    yes) variants=("") ;;
    no) variants=(-buffered) ;;
    both) variants=("" -buffered) ;;
    *) echo "kv-bench: --direct-reads must be yes, no or both" >&2; exit 2 ;;
esac
for w in "${worker_counts[@]}"; do
    [ "$w" = none ] && continue
    for v in "${variants[@]}"; do servers+=("uringkv-w$w$v"); done
done
[ "$with_garnet" -eq 1 ] && servers+=(garnet)

echo "kv-bench --large: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, data on $data_device"
echo "kv-bench --large: memory cgroup v$cgroup_version below $cgroup_parent, limit ${memory_mb} MiB; data ${data_mb} MiB = $keys keys of $value_size bytes ($((data_mb / memory_mb))x the limit)"
echo "kv-bench --large: UringKv --durability no --cache-mb $cache_mb in all (split over its shards), --direct-reads except -buffered; garnet-server --storage-tier --memory ${garnet_memory_mb}m --index ${garnet_index_mb}m --device-type RandomAccess $garnet_args"
echo "kv-bench --large: redis-benchmark -t get -d $value_size -r $keys -n $requests -c $clients -P $pipeline; $rounds round(s); servers: ${servers[*]}"
for round in $(seq 1 "$rounds"); do
    iops="$(run_fio "$round")"
    echo "$iops" >"$out/fio-r$round.iops"
    echo "round $round: fio randread 4k, iodepth 32: $iops IOPS"
    count=${#servers[@]}
    for i in $(seq 0 $((count - 1))); do
        name="${servers[$(((i + round - 1) % count))]}"
        run="$out/$name-r$round"
        dir="$data/$name-r$round"
        port="$(free_port)"
        make_cgroup "$name-r$round"
        start_large_server "$name" "$port" "$dir"
        wait_ready "$port"
        started=$(date +%s.%N)
        if ! load_keys "$port" >"$run.load.txt" 2>&1 || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "kv-bench: $name failed during the load ($(cgroup_oom_kills) OOM kill(s) in its cgroup of $memory_mb MiB; see $out/$name-r$round.log and $run.load.txt)" >&2
            exit 1
        fi
        loaded=$(date +%s.%N)
        dbsize="$(redis-cli -p "$port" dbsize | tr -d '\r')"
        value_length="$(redis-cli -p "$port" strlen key:000000000000 | tr -d '\r')"
        evict "$dir"
        cache_before="$(cgroup_stat total_cache file)"
        load="$(cut -d' ' -f1-3 /proc/loadavg)"
        [[ "$name" == uringkv* ]] && uringkv_stats "$port" >"$run.stats-before"
        read_before="$(process_read_bytes "$server_pid")"
        device_before="$(device_reads)"
        perf_pid=""
        if [ "$with_perf" -eq 1 ]; then
            perf record -g -F 999 -p "$server_pid" -o "$run.perf.data" >/dev/null 2>&1 &
            perf_pid=$!
        fi
        redis-benchmark -p "$port" -t get -d "$value_size" -r "$keys" -n "$requests" -c "$clients" -P "$pipeline" --csv >"$run.csv"
        if [ -n "$perf_pid" ]; then
            kill -INT "$perf_pid"
            wait "$perf_pid" || true
            perf report -i "$run.perf.data" --no-children --sort dso,sym --percent-limit 0.5 --stdio 2>/dev/null \
                | grep -v '^$' | grep -E '^ +[0-9]' >"$run.perf.txt" || true
        fi
        read_after="$(process_read_bytes "$server_pid")"
        [[ "$name" == uringkv* ]] && uringkv_stats "$port" >"$run.stats-after"
        device_after="$(device_reads)"
        load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
        # name round keys-loaded load-seconds value-length read-bytes device-reads device-sectors cache-before peak oom loadavg
        python3 - "$name" "$round" "$dbsize" "$started" "$loaded" "$value_length" "$read_before" "$read_after" \
            "$device_before" "$device_after" "$cache_before" "$(cgroup_peak)" "$(cgroup_oom_kills)" "$load" "$load_after" <<'EOF' >"$run.json"
import json, sys
a = sys.argv[1:]
db, dd = a[8].split(), a[9].split()
print(json.dumps({
    "server": a[0], "round": int(a[1]), "keys": int(a[2]), "load_seconds": float(a[4]) - float(a[3]),
    "value_length": int(a[5]), "read_bytes": int(a[7]) - int(a[6]),
    "device_reads": int(dd[0]) - int(db[0]), "device_sectors": int(dd[1]) - int(db[1]),
    "page_cache_at_start": int(a[10] or 0), "peak_bytes": int(a[11]), "oom_kills": int(a[12]),
    "loadavg_before": a[13], "loadavg_after": a[14]}))
EOF
        echo "round $round, $name (load $load -> $load_after): $(python3 - "$run.csv" "$run.json" "$requests" <<'EOF'
import csv, json, sys
row = next(csv.DictReader(open(sys.argv[1])))
info, n = json.load(open(sys.argv[2])), int(sys.argv[3])
print(f"GET {float(row['rps']):,.0f}/s, p50 {row['p50_latency_ms']} ms, p99 {row['p99_latency_ms']} ms; "
      f"{info['read_bytes'] / n / 1024:.1f} KiB read and {info['device_reads'] / n:.2f} device reads per GET; "
      f"{info['keys']:,} keys of {info['value_length']} bytes loaded in {info['load_seconds']:.0f} s; "
      f"page cache at start {info['page_cache_at_start'] / 2**20:.0f} MiB, peak {info['peak_bytes'] / 2**20:.0f} MiB, {info['oom_kills']} OOM kill(s)")
EOF
)"
        stop_server
        remove_cgroup
        rm -rf "$dir"
    done
done

python3 - "$out" "${servers[*]}" "$requests" <<'EOF' | tee "$out/summary.md"
import csv, glob, json, os, statistics, sys
out, servers, n = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
med = statistics.median
rows = {}
for server in servers:
    runs = []
    for path in sorted(glob.glob(os.path.join(out, f"{server}-r*.csv"))):
        row = next(csv.DictReader(open(path)))
        info = json.load(open(path[:-4] + ".json"))
        runs.append((row, info))
    rows[server] = {
        "GET/s": med(float(r["rps"]) for r, _ in runs),
        "p50 ms": med(float(r["p50_latency_ms"]) for r, _ in runs),
        "p99 ms": med(float(r["p99_latency_ms"]) for r, _ in runs),
        "KiB read per GET": med(i["read_bytes"] / n / 1024 for _, i in runs),
        "device reads per GET": med(i["device_reads"] / n for _, i in runs),
        "page cache at start, MiB": med(i["page_cache_at_start"] / 2**20 for _, i in runs),
        "peak memory, MiB": med(i["peak_bytes"] / 2**20 for _, i in runs),
        "OOM kills": sum(i["oom_kills"] for _, i in runs),
        "load, keys/s": med(i["keys"] / i["load_seconds"] for _, i in runs),
    }
iops = [int(open(p).read()) for p in sorted(glob.glob(os.path.join(out, "fio-r*.iops")))]
print(f"\nGET of random keys, medians of {len(iops)} round(s); fio randread 4k iodepth 32 per round: "
      + ", ".join(f"{i:,}" for i in iops) + " IOPS\n")
print("| | " + " | ".join(servers) + " |")
print("|---|" + "---|" * len(servers))
for key in rows[servers[0]]:
    fmt = (lambda v: f"{v:,.0f}") if key in ("GET/s", "load, keys/s", "peak memory, MiB", "page cache at start, MiB", "OOM kills") else (lambda v: f"{v:.2f}")
    print(f"| {key} | " + " | ".join(fmt(rows[s][key]) for s in servers) + " |")
ours = [s for s in servers if s.startswith("uringkv")]
if "garnet" in servers:
    print()
    for s in ours:
        print(f"- {s} / garnet: GET/s {rows[s]['GET/s'] / rows['garnet']['GET/s']:.2f}x, "
              f"p99 {rows[s]['p99 ms'] / rows['garnet']['p99 ms']:.2f}x (below 1: lower latency)")
EOF
echo "kv-bench: results in $out/"
