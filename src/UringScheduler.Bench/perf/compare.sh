#!/usr/bin/env bash
# Compares uring-bench with fio and with a C program doing the same work, as interleaved rounds, and prints medians
# and ratios. Every round runs uring-bench and the references back to back; odd rounds run uring-bench first, even
# rounds last, so a slow drift of the (noisy, shared) machine does not favour either side. Each ratio is reported
# three ways: the ratio of the medians, the median of the per-round ratios, and the median over quiet rounds only.
#
#   src/UringScheduler.Bench/perf/compare.sh [COMPARISON...] [options]
#
# COMPARISON (default: cached nop direct)
#   cached          cached reads against fio and pread: page-cached 4 KiB random reads, uring_32 against fio io_uring
#                   (2 jobs x iodepth 16, batched, --fixedbufs --registerfiles), randomaccess_32 and pread_2; fio
#                   libaio and psync beside them
#   nop             the scheduler's own cost (NOPs) against a C baseline: nop_32 against nop-baseline (raw io_uring
#                   NOPs in batches of 32 on one core, built with gcc); also nop_32 on 1 worker and the C program on
#                   2 cores, for the per-core view
#   direct          O_DIRECT against fio: uring_32 --direct against fio io_uring direct=1 at the same depth,
#                   throughput and p99.9; fio libaio and psync direct=1 beside them
#   memory-limited  data larger than memory against mmap: uring_512, mmap_512 and mmap_32 inside a memory-limited
#                   cgroup, data >= 10x the limit (root); beside them uring_32 (the same depth as mmap_32; also with
#                   --submit-batch 2), uring_512 --direct, and fio io_uring direct=1 at 2 x 256 (the device's limit)
#   all             cached nop direct memory-limited
# The numbers 1, 2, 3 and the word cgroup are accepted for cached, nop, direct and memory-limited.
#
# Options
#   --rounds N              rounds per comparison (default 3)
#   --duration S            measured seconds per case and per fio engine (default 5)
#   --warmup S              warm-up seconds (uring-bench --warmup, fio --ramp_time; default 1)
#   --workers N             uring-bench workers (default 2)
#   --data DIR              data set for cached, nop and direct (default $TMPDIR/uring-bench-8x128M-4096; generated
#                           if missing)
#   --files N               files in that data set (default 8)
#   --file-size SIZE        size of each (default 128M)
#   --out DIR               where the raw JSON and logs go (default artifacts/perf/compare-<UTC time>)
#   --fio-batch-submit N    fio --iodepth_batch_submit (default 16)
#   --fio-batch-complete N  fio --iodepth_batch_complete_min (default 16)
#   --cgroup-limit SIZE     memory-limited: memory limit of the cgroup (default 256M)
#   --cgroup-data DIR       memory-limited: data set (default $TMPDIR/uring-bench-16x256M-4096, 4 GiB, 16x the
#                           default limit)
#   --cgroup-files N        memory-limited: files (default 16)
#   --cgroup-file-size SIZE memory-limited: size of each (default 256M)
#   --quiet-max PCT         a round is "quiet" when other processes used at most PCT % of the machine during both
#                           runs of a pair (default 10); the summary adds the median ratio over quiet rounds only
#
# "others %" is the CPU that other processes used during a run, in % of the machine (uring-bench's own column; for fio
# and nop-baseline, measured by others-cpu.py the same way). On a shared machine, trust the quiet rounds.
#
# Needs: the .NET SDK (builds uring-bench once), python3, gcc (nop), fio (installed with apt-get if missing and
# running as root), root and a cgroup memory controller (memory-limited). Every number measured goes to OUT/runs.tsv
# (one row per case and round, first column: the comparison); the summary is printed at the end and saved as
# OUT/summary.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

rounds=3
duration=5
warmup=1
workers=2
tmp="${TMPDIR:-/tmp}"
data="$tmp/uring-bench-8x128M-4096"
files=8
file_size=128M
out=""
batch_submit=16
batch_complete=16
cg_limit=256M
cg_data="$tmp/uring-bench-16x256M-4096"
cg_files=16
cg_file_size=256M
quiet_max=10
comparisons=()

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        cached | 1) comparisons+=(cached) ;;
        nop | 2) comparisons+=(nop) ;;
        direct | 3) comparisons+=(direct) ;;
        memory-limited | cgroup) comparisons+=(memory-limited) ;;
        all) comparisons+=(cached nop direct memory-limited) ;;
        --rounds) rounds="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --warmup) warmup="$2"; shift ;;
        --workers) workers="$2"; shift ;;
        --data) data="$2"; shift ;;
        --files) files="$2"; shift ;;
        --file-size) file_size="$2"; shift ;;
        --out) out="$2"; shift ;;
        --fio-batch-submit) batch_submit="$2"; shift ;;
        --fio-batch-complete) batch_complete="$2"; shift ;;
        --cgroup-limit) cg_limit="$2"; shift ;;
        --cgroup-data) cg_data="$2"; shift ;;
        --cgroup-files) cg_files="$2"; shift ;;
        --cgroup-file-size) cg_file_size="$2"; shift ;;
        --quiet-max) quiet_max="$2"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ ${#comparisons[@]} -eq 0 ] && comparisons=(cached nop direct)
out="${out:-$root/artifacts/perf/compare-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
runs="$out/runs.tsv"
printf 'comparison\tround\tlabel\tthroughput\tp999_ns\tp50_ns\tcpu_ns_per_op\tothers_cpu_pct\n' >"$runs"

has() { local c; for c in "${comparisons[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

for tool in python3 dotnet; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing" >&2; exit 1; }
done
if has cached || has direct || has memory-limited; then
    if ! command -v fio >/dev/null 2>&1; then
        [ "$(id -u)" -eq 0 ] || { echo "fio is missing: install it (apt-get install -y fio)" >&2; exit 1; }
        log "installing fio with apt-get"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >&2
    fi
fi

# Build uring-bench once, then run the dll directly (no rebuild check per run, and runnable inside a cgroup).
log "building uring-bench"
dotnet build "$root/src/UringScheduler.Bench/UringScheduler.Bench.csproj" -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
bench_dll="$root/src/UringScheduler.Bench/bin/Release/net10.0/uring-bench.dll"
if has nop; then
    log "building nop-baseline"
    nop_bin="$(OUT="$out/nop-baseline" "$here/build-nop-baseline.sh")"
fi

# uring-bench with the common options. $1: tag for the output files; rest: extra arguments. BENCH_WORKERS=N in the
# environment of the call overrides --workers.
bench() {
    local tag="$1"
    shift
    dotnet "$bench_dll" --duration "$duration" --warmup "$warmup" --workers "${BENCH_WORKERS:-$workers}" --no-verify \
        --data "$data" --files "$files" --file-size "$file_size" --json "$out/$tag.json" --report "$out/$tag-report" "$@" >"$out/$tag.log" 2>&1 \
        || { echo "uring-bench failed, see $out/$tag.log" >&2; tail -20 "$out/$tag.log" >&2; exit 1; }
}

# Appends every case of a uring-bench JSON file to runs.tsv. $1 comparison, $2 round, $3 json, $4 label suffix.
record_bench() {
    python3 - "$1" "$2" "$3" "${4:-}" >>"$runs" <<'PY'
import json, sys
comparison, rnd, path, suffix = sys.argv[1:5]
for c in json.load(open(path))["cases"]:
    print("\t".join(map(str, [comparison, rnd, c["name"] + suffix, c["throughput"], c["p999_ns"], c["p50_ns"], c["cpu_ns_per_op"],
                              c.get("other_cpu_percent", "nan")])))
PY
}

# fio on the files of a data set. $1 comparison, $2 round, $3 label, $4 data dir, rest: fio options.
fio_run() {
    local comparison="$1" rnd="$2" label="$3" dir="$4"
    shift 4
    local names
    names="$(ls "$dir"/data-*.bin | paste -sd:)"
    local json="$out/$comparison-r$rnd-${label//[^A-Za-z0-9_=.-]/_}.json"
    "$here/others-cpu.py" "$out/others.txt" fio --name=randread --rw=randread --bs=4k --filename="$names" --file_service_type=random --numjobs=2 \
        --thread --group_reporting --time_based --runtime="$duration" --ramp_time="$warmup" --norandommap \
        --randrepeat=0 --invalidate=0 --lat_percentiles=1 --percentile_list=50:99.9 --output-format=json \
        --output="$json" "$@" >/dev/null
    python3 - "$comparison" "$rnd" "$label" "$json" "$(cat "$out/others.txt")" >>"$runs" <<'PY'
import json, sys
comparison, rnd, label, path, others = sys.argv[1:6]
text = open(path).read()
job = json.loads(text[text.index("{"):])["jobs"][0]
read = job["read"]
p = read["lat_ns"].get("percentile", {})
print("\t".join(map(str, [comparison, rnd, label, round(read["iops"]), int(p.get("99.900000", 0)), int(p.get("50.000000", 0)), "nan", others])))
PY
}

# Makes sure a data set of that shape exists: uring-bench checks it against its manifest, generates it if missing.
ensure_data() {
    local dir="$1" n="$2" size="$3"
    log "checking (or generating) data set $dir ($n x $size)"
    dotnet "$bench_dll" --cases nop_1 --duration 1 --warmup 0 --data "$dir" --files "$n" --file-size "$size" \
        --json "$out/generate.json" --report "$out/generate-report" >"$out/generate.log" 2>&1 \
        || { echo "data set generation failed, see $out/generate.log" >&2; exit 1; }
}

fio_uring=(--ioengine=io_uring --iodepth=16 --fixedbufs --registerfiles --iodepth_batch_submit="$batch_submit"
    --iodepth_batch_complete_min="$batch_complete")
fio_libaio=(--ioengine=libaio --iodepth=16 --iodepth_batch_submit="$batch_submit"
    --iodepth_batch_complete_min="$batch_complete")
fio_psync=(--ioengine=psync --iodepth=1)

if has cached || has nop || has direct; then
    ensure_data "$data" "$files" "$file_size"
fi

if has cached; then
    log "cached: warming the page cache"
    cat "$data"/data-*.bin >/dev/null
    for r in $(seq 1 "$rounds"); do
        log "cached, round $r/$rounds"
        fio_all() {
            fio_run cached "$r" "fio io_uring" "$data" "${fio_uring[@]}" --direct=0
            fio_run cached "$r" "fio libaio" "$data" "${fio_libaio[@]}" --direct=0
            fio_run cached "$r" "fio psync" "$data" "${fio_psync[@]}" --direct=0
        }
        if [ $((r % 2)) -eq 1 ]; then
            bench "cached-r$r" --cases uring_32,randomaccess_32,pread_2
            record_bench cached "$r" "$out/cached-r$r.json"
            fio_all
        else
            fio_all
            bench "cached-r$r" --cases pread_2,randomaccess_32,uring_32
            record_bench cached "$r" "$out/cached-r$r.json"
        fi
    done
fi

if has nop; then
    for r in $(seq 1 "$rounds"); do
        log "nop, round $r/$rounds"
        c_run() {
            local threads="$1" label="$2"
            "$here/others-cpu.py" "$out/others.txt" "$nop_bin" "$duration" 32 "$threads" >"$out/nop-r$r-c$threads.log"
            awk -v t=nop -v r="$r" -v l="$label" -v o="$(cat "$out/others.txt")" \
                '/^result/ { split($2, a, "="); printf "%s\t%s\t%s\t%s\tnan\tnan\tnan\t%s\n", t, r, l, a[2], o }' \
                "$out/nop-r$r-c$threads.log" >>"$runs"
        }
        ours() {
            bench "nop-r$r" --cases nop_32
            record_bench nop "$r" "$out/nop-r$r.json"
            BENCH_WORKERS=1 bench "nop-r$r-w1" --cases nop_32
            record_bench nop "$r" "$out/nop-r$r-w1.json" " (1 worker)"
        }
        if [ $((r % 2)) -eq 1 ]; then
            ours
            c_run 1 "C nop-baseline (1 core)"
            c_run 2 "C nop-baseline (2 cores)"
        else
            c_run 2 "C nop-baseline (2 cores)"
            c_run 1 "C nop-baseline (1 core)"
            ours
        fi
    done
fi

if has direct; then
    for r in $(seq 1 "$rounds"); do
        log "direct (O_DIRECT), round $r/$rounds"
        fio_all() {
            fio_run direct "$r" "fio io_uring direct" "$data" "${fio_uring[@]}" --direct=1
            fio_run direct "$r" "fio libaio direct" "$data" "${fio_libaio[@]}" --direct=1
            fio_run direct "$r" "fio psync direct" "$data" "${fio_psync[@]}" --direct=1
        }
        if [ $((r % 2)) -eq 1 ]; then
            bench "direct-r$r" --cases uring_32 --direct
            record_bench direct "$r" "$out/direct-r$r.json" " direct"
            fio_all
        else
            fio_all
            bench "direct-r$r" --cases uring_32 --direct
            record_bench direct "$r" "$out/direct-r$r.json" " direct"
        fi
    done
fi

if has memory-limited; then
    # cgroup v2 (memory.max in the unified hierarchy) if the memory controller is there, else v1
    # (memory.limit_in_bytes). The page cache a cgroup fills is charged to it, but pages already cached by anyone
    # else are hit for free: so the data files are dropped from the cache (posix_fadvise DONTNEED, via dd nocache)
    # before each round, and the data set is generated beforehand.
    [ "$(id -u)" -eq 0 ] || { echo "the memory-limited comparison needs root (to create a cgroup)" >&2; exit 1; }
    limit_bytes="$(python3 -c "
import sys; s = sys.argv[1].upper(); m = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
print(int(float(s[:-1]) * m[s[-1]]) if s[-1] in m else int(s))" "$cg_limit")"
    cg=""
    if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
        grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || echo +memory >/sys/fs/cgroup/cgroup.subtree_control
        cg=/sys/fs/cgroup/uring-bench-memory-limited
        mkdir -p "$cg"
        trap 'rmdir "$cg" 2>/dev/null || true' EXIT
        echo "$limit_bytes" >"$cg/memory.max"
        echo 0 >"$cg/memory.swap.max" 2>/dev/null || true
        cg_version=v2
        cg_usage() { cat "$cg/memory.current"; }
        cg_cache() { awk '$1 == "file" { print $2 }' "$cg/memory.stat"; }
    elif [ -d /sys/fs/cgroup/memory ]; then
        cg=/sys/fs/cgroup/memory/uring-bench-memory-limited
        mkdir -p "$cg"
        trap 'rmdir "$cg" 2>/dev/null || true' EXIT
        echo "$limit_bytes" >"$cg/memory.limit_in_bytes"
        cg_version=v1
        cg_usage() { cat "$cg/memory.max_usage_in_bytes"; }
        cg_cache() { awk '$1 == "total_cache" { print $2 }' "$cg/memory.stat"; }
    else
        echo "no cgroup memory controller found (mount | grep cgroup): the memory-limited comparison cannot run here" >&2
        exit 1
    fi
    log "memory-limited: cgroup $cg_version $cg, memory limit $cg_limit ($limit_bytes bytes)"
    ensure_data "$cg_data" "$cg_files" "$cg_file_size"
    data_bytes="$(du -cb "$cg_data"/data-*.bin | tail -1 | cut -f1)"
    log "memory-limited: data $((data_bytes >> 20)) MiB = $(python3 -c "print(round($data_bytes / $limit_bytes, 1))")x the limit"
    echo "cgroup $cg_version $cg limit=$limit_bytes data_bytes=$data_bytes" >"$out/memory-limited-cgroup.txt"
    # One uring-bench run inside the cgroup. $1 round, $2 label suffix, $3 cases, rest: more uring-bench options.
    ml_bench() {
        local rnd="$1" suffix="$2" cases="$3" name="memory-limited-r$1${2// /-}"
        shift 3
        # The shell enters the cgroup, then execs the bench: every page it faults in is charged there.
        sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
            dotnet "$bench_dll" --duration "$duration" --warmup "$warmup" --workers "$workers" --no-verify \
            --data "$cg_data" --files "$cg_files" --file-size "$cg_file_size" --cases "$cases" --json "$out/$name.json" --report "$out/$name-report" "$@" \
            >"$out/$name.log" 2>&1 || { echo "uring-bench failed in the cgroup, see $out/$name.log" >&2; tail -20 "$out/$name.log" >&2; exit 1; }
        record_bench memory-limited "$rnd" "$out/$name.json" "$suffix"
    }
    for r in $(seq 1 "$rounds"); do
        log "memory-limited, round $r/$rounds"
        for f in "$cg_data"/data-*.bin; do dd if="$f" iflag=nocache count=0 status=none; done
        # Beside the three main cases, to read them: uring_32 compares tails with mmap_32 at the same depth; uring_512 with
        # --direct is what a storage engine would run (no page cache to charge and reclaim); fio io_uring with
        # direct=1 at 2 x 256 in flight is the device's own limit.
        # uring_32 with --submit-batch 2 is the same depth with at most 2 SQEs per io_uring_enter (MaxSubmitBatch).
        if [ $((r % 2)) -eq 1 ]; then
            ml_bench "$r" "" uring_512,mmap_512,mmap_32,uring_32
            ml_bench "$r" " batch 2" uring_32 --submit-batch 2
            ml_bench "$r" " direct" uring_512 --direct
            fio_run memory-limited "$r" "fio io_uring direct (512)" "$cg_data" "${fio_uring[@]}" --iodepth=256 --direct=1
        else
            fio_run memory-limited "$r" "fio io_uring direct (512)" "$cg_data" "${fio_uring[@]}" --iodepth=256 --direct=1
            ml_bench "$r" " direct" uring_512 --direct
            ml_bench "$r" " batch 2" uring_32 --submit-batch 2
            ml_bench "$r" "" uring_32,mmap_32,mmap_512,uring_512
        fi
        cache="$(cg_cache)"
        echo "round $r: cgroup peak usage $(cg_usage) bytes; page cache charged to it after the run $cache bytes = $(python3 -c "print(round(100 * $cache / $data_bytes, 1))")% of the data" \
            | tee -a "$out/memory-limited-cgroup.txt" >&2
    done
    rmdir "$cg" 2>/dev/null || true
fi

python3 - "$runs" "$rounds" "$duration" "$batch_submit" "$batch_complete" "$quiet_max" <<'PY' | tee "$out/summary.txt"
import csv, statistics, sys
from collections import defaultdict

path, rounds, duration, bsub, bcmin, quiet_max = sys.argv[1:7]
quiet_max = float(quiet_max)
rows = list(csv.DictReader(open(path), delimiter="\t"))
data = defaultdict(lambda: defaultdict(dict))  # comparison -> label -> round -> row
for r in rows:
    data[r["comparison"]][r["label"]][r["round"]] = r

def med(comparison, label, key):
    values = [float(v[key]) for v in data[comparison][label].values()]
    return statistics.median(values) if values else float("nan")

def others(row):
    v = float(row.get("others_cpu_pct") or "nan")
    return v if v == v else 0.0  # unknown counts as quiet

def ratio(comparison, a, b, key="throughput"):
    """ratio of medians, median of per-round ratios, median over quiet rounds and their count"""
    ra, rb = data[comparison].get(a, {}), data[comparison].get(b, {})
    rounds_ = [k for k in ra if k in rb and float(rb[k][key]) > 0]
    per = [float(ra[k][key]) / float(rb[k][key]) for k in rounds_]
    quiet = [float(ra[k][key]) / float(rb[k][key]) for k in rounds_
             if others(ra[k]) <= quiet_max and others(rb[k]) <= quiet_max]
    mb = med(comparison, b, key)
    return ((med(comparison, a, key) / mb if mb else float("nan")), (statistics.median(per) if per else float("nan")),
            (statistics.median(quiet) if quiet else float("nan")), len(quiet))

order = ["cached", "nop", "direct", "memory-limited"]
titles = {
    "cached": "Cached reads against fio and pread: page-cached 4 KiB random reads (2 workers / 2 fio jobs, 32 in flight)",
    "nop": "The scheduler's own cost: NOPs against a C baseline",
    "direct": "O_DIRECT against fio: 4 KiB random reads from the device, 32 in flight",
    "memory-limited": "Data larger than memory against mmap: memory-limited cgroup, data >= 10x the limit",
}
# (ours, reference, measure, comparison operator, goal): a goal is the ratio the comparison is expected to show;
# the summary says whether the ratio of the medians shows it.
checks = {
    "cached": [("uring_32", "fio io_uring", "throughput", ">=", 0.9),
          ("uring_32", "randomaccess_32", "throughput", ">=", 3.0),
          ("uring_32", "pread_2", "throughput", ">=", 1.4),
          ("uring_32", "fio libaio", "throughput", None, None),
          ("uring_32", "fio psync", "throughput", None, None)],
    "nop": [("nop_32", "C nop-baseline (1 core)", "throughput", ">=", 0.5),
          ("nop_32 (1 worker)", "C nop-baseline (1 core)", "throughput", None, None),
          ("nop_32", "C nop-baseline (2 cores)", "throughput", None, None)],
    "direct": [("uring_32 direct", "fio io_uring direct", "throughput", ">=", 0.95),
          ("uring_32 direct", "fio io_uring direct", "p999_ns", "<=", 1.5),
          ("uring_32 direct", "fio libaio direct", "throughput", None, None),
          ("uring_32 direct", "fio psync direct", "throughput", None, None)],
    "memory-limited": [("uring_512", "mmap_512", "throughput", ">", 1.0),
          ("uring_512", "mmap_32", "throughput", ">", 1.0),
          ("uring_512", "mmap_512", "p999_ns", "<", 1.0),
          ("uring_512", "mmap_32", "p999_ns", "<", 1.0),
          ("uring_32", "mmap_32", "throughput", None, None),
          ("uring_32", "mmap_32", "p999_ns", None, None),
          ("uring_32 batch 2", "mmap_32", "throughput", None, None),
          ("uring_32 batch 2", "mmap_32", "p999_ns", None, None),
          ("uring_512 direct", "mmap_512", "throughput", None, None),
          ("uring_512 direct", "mmap_512", "p999_ns", None, None),
          ("uring_512", "fio io_uring direct (512)", "throughput", None, None),
          ("uring_512 direct", "fio io_uring direct (512)", "throughput", None, None)],
}
print()
print(f"compare.sh: {rounds} rounds, {duration} s per case; fio batch submit {bsub}, complete_min {bcmin}; "
      f"quiet = others <= {quiet_max:g} %; raw: {path}")
for t in sorted(data, key=lambda c: (order.index(c) if c in order else len(order), c)):
    print()
    print(titles.get(t, t))
    print(f"  {'case':<28} {'median op/s':>12} {'median p99.9 ns':>16} {'median p50 ns':>14} {'cpu ns/op':>10}   per round op/s (others %)")
    for label in data[t]:
        per = " ".join(f"{float(v['throughput']):,.0f} ({others(v):.0f})" for k, v in sorted(data[t][label].items()))
        print(f"  {label:<28} {med(t, label, 'throughput'):>12,.0f} {med(t, label, 'p999_ns'):>16,.0f} "
              f"{med(t, label, 'p50_ns'):>14,.0f} {med(t, label, 'cpu_ns_per_op'):>10,.0f}   {per}")
    print(f"  {'ratio':<52} {'of medians':>10} {'median/round':>13} {'quiet rounds':>14}  goal, shown by the ratio of medians?")
    for a, b, key, op, goal in checks.get(t, []):
        if a not in data[t] or b not in data[t]:
            continue
        rm, pr, qr, qn = ratio(t, a, b, key)
        what = "p99.9" if key == "p999_ns" else "op/s"
        verdict = ""
        if op:
            ok = {">=": rm >= goal, "<=": rm <= goal, ">": rm > goal, "<": rm < goal}[op]
            verdict = f"{op} {goal:<5} {'yes' if ok else 'no'}"
        quiet = f"{qr:.3f} (n={qn})" if qn else "- (n=0)"
        print(f"  {a + ' / ' + b + ' (' + what + ')':<52} {rm:>10.3f} {pr:>13.3f} {quiet:>14}  {verdict}")
    if t == "memory-limited":
        # Little's law: a closed loop with N reads in flight at X reads/s has a mean latency of N / X, whatever
        # the engine. A tail can be compared across depths only when the mean at the larger depth is below it.
        print("  Little's law, mean latency = in flight / throughput:")
        for label in data[t]:
            n = label.split()[0].rsplit("_", 1)[-1]
            if "fio" not in label and n.isdigit():
                x = med(t, label, "throughput")
                print(f"    {label:<26} {int(n):>4} / {x:>9,.0f} op/s = {int(n) / x * 1e3:7.2f} ms   (median p99.9 {med(t, label, 'p999_ns') / 1e6:.2f} ms)")
PY
[ -f "$out/memory-limited-cgroup.txt" ] && { echo; echo "Memory-limited cgroup:"; sed 's/^/  /' "$out/memory-limited-cgroup.txt"; } | tee -a "$out/summary.txt"
echo "raw results: $out" >&2
