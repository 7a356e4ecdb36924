#!/usr/bin/env bash
# The device-aware I/O scheduler on and off, interleaved over rounds, in three regimes, with medians and ratios:
#   memory-limited  uring_512 and uring_32 (scheduler on, off) against mmap_512 and mmap_32, inside a memory cgroup
#                   with the data set at least 8x its limit (root, cgroup memory controller)
#   cached          uring_32 on the page cache, scheduler on and off: what the page-cache probes and the capacity
#                   accounting cost where they cannot help
#   mixed           mixed_32 --direct (32 O_DIRECT reads and a background writer of 1 MiB O_DIRECT writes), scheduler
#                   on and off; beside them uring_32 --direct alone and fio at the same depth, for the device's own tail
#   offcpu          uring_512 memory-limited, scheduler on and off: switches of the process's threads whose kernel
#                   stack holds blk_mq_get_tag (a worker waiting for a block-layer request tag), counted with perf
#                   over 4 s of the run
# Odd rounds run the cases in the order listed, even rounds in the reverse order.
#
#   src/UringScheduler.Bench/perf/io-scheduler-compare.sh [REGIME...] [--rounds N] [--duration S] [--limit SIZE]
#                                                          [--data DIR] [--files N] [--file-size SIZE] [--out DIR]
# Defaults: all four regimes, 3 rounds, 5 s per case, limit 256M, data $TMPDIR/uring-bench-16x128M (2 GiB, generated
# by uring-bench when missing), out artifacts/perf/io-scheduler-<UTC time>. Needs python3; fio and perf for the mixed
# and offcpu regimes (fio is installed with apt-get when missing and running as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rounds=3
duration=5
limit=256M
data="${TMPDIR:-/tmp}/uring-bench-16x128M"
files=16
file_size=128M
out=""
regimes=()
while [ $# -gt 0 ]; do
    case "$1" in
        memory-limited | cached | mixed | offcpu) regimes+=("$1"); shift ;;
        --rounds) rounds="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --limit) limit="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        --files) files="$2"; shift 2 ;;
        --file-size) file_size="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "io-scheduler-compare: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#regimes[@]} -eq 0 ] && regimes=(memory-limited cached mixed offcpu)
out="${out:-$root/artifacts/perf/io-scheduler-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out/runs"

dotnet build "$root/src/UringScheduler.Bench/UringScheduler.Bench.csproj" -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
bench=(dotnet "$root/src/UringScheduler.Bench/bin/Release/net10.0/uring-bench.dll" --data "$data" --files "$files" --file-size "$file_size")

# run REGIME LABEL ROUND ARGS...: one uring-bench run, its JSON kept as runs/REGIME.LABEL.rROUND.json
run() {
    local regime="$1" label="$2" round="$3"
    shift 3
    "${bench[@]}" --duration "$duration" --warmup 1 --json "$out/runs/$regime.$label.r$round.json" \
        --report "$out/reports/$regime.$label.r$round" "$@" >"$out/runs/$regime.$label.r$round.log" 2>&1
    echo "  $regime $label round $round: load $(cut -d' ' -f1 /proc/loadavg)"
}

fio_run() { # round
    command -v fio >/dev/null 2>&1 || { [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null 2>&1; } || true
    if ! command -v fio >/dev/null 2>&1; then
        echo "  fio is missing: apt-get install fio" >&2
        return
    fi
    fio --name=randread --filename="$data/data-000.bin" --rw=randread --bs=4k --direct=1 --ioengine=io_uring \
        --iodepth=32 --runtime="$duration" --time_based --output-format=json >"$out/runs/mixed.fio_32.r$1.fio.json" 2>/dev/null
    echo "  mixed fio_32 round $1"
}

for regime in "${regimes[@]}"; do
    echo "== $regime"
    case "$regime" in
        memory-limited)
            specs=("uring_512 on" "uring_512 off" "mmap_512 -" "uring_32 on" "uring_32 off" "mmap_32 -") ;;
        cached)
            specs=("uring_32 on" "uring_32 off") ;;
        mixed)
            specs=("mixed_32 on" "mixed_32 off" "uring_32 on" "fio_32 -") ;;
        offcpu)
            specs=("uring_512 on" "uring_512 off") ;;
    esac
    for round in $(seq 1 "$rounds"); do
        order=("${specs[@]}")
        if [ $((round % 2)) -eq 0 ]; then
            order=()
            for ((i = ${#specs[@]} - 1; i >= 0; i--)); do order+=("${specs[$i]}"); done
        fi
        for spec in "${order[@]}"; do
            read -r case sched <<<"$spec"
            label="$case.$sched"
            sched_args=()
            [ "$sched" != "-" ] && sched_args=(--io-scheduler "$sched")
            case "$regime" in
                memory-limited) run "$regime" "$label" "$round" --cases "$case" "${sched_args[@]}" --memory-limit "$limit" ;;
                cached) run "$regime" "$label" "$round" --cases "$case" --io-scheduler "$sched" ;;
                mixed)
                    if [ "$case" = fio_32 ]; then fio_run "$round"; else run "$regime" "$label" "$round" --cases "$case" --io-scheduler "$sched" --direct; fi ;;
                offcpu)
                    "${bench[@]}" --duration 10 --warmup 1 --cases "$case" --io-scheduler "$sched" --memory-limit "$limit" \
                        --json "$out/runs/offcpu.$label.r$round.json" --report "$out/reports/offcpu.$label.r$round" >/dev/null 2>&1 &
                    pid=$!
                    sleep 5
                    perf record -q -a -e sched:sched_switch -g -o "$out/runs/offcpu.$label.r$round.perf" -- sleep 4 >/dev/null 2>&1 || true
                    wait "$pid" || true
                    perf script -i "$out/runs/offcpu.$label.r$round.perf" 2>/dev/null | awk -v label="$label" -v round="$round" '
                        /sched:sched_switch/ { if (worker && tag) n++; worker = ($1 ~ /^uring-worker/); tag = 0; total += worker; next }
                        /blk_mq_get_tag/ { tag = 1 }
                        END { if (worker && tag) n++; printf "%s\t%s\t%d\t%d\n", label, round, n + 0, total + 0 }' >>"$out/offcpu.tsv"
                    rm -f "$out/runs/offcpu.$label.r$round.perf"
                    echo "  offcpu $label round $round: $(tail -1 "$out/offcpu.tsv" | cut -f3) of $(tail -1 "$out/offcpu.tsv" | cut -f4) worker switches in blk_mq_get_tag"
                    ;;
            esac
        done
    done
done

python3 - "$out" <<'EOF' | tee "$out/summary.txt"
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(out, "runs", "*.json"))):
    name = os.path.basename(path)
    regime, case, sched, rest = name.split(".", 3)
    if rest.endswith("fio.json"):
        job = json.load(open(path))["jobs"][0]["read"]
        pct = job["clat_ns"]["percentile"]
        row = dict(throughput=job["iops"], p999=pct["99.900000"], max=job["clat_ns"]["max"], bg=None, cached=None)
    else:
        c = json.load(open(path))["cases"][0]
        row = dict(throughput=c["throughput"], p999=c["p999_ns"], max=c["max_ns"], bg=c.get("background_mb_per_s"), cached=c.get("cached_fraction"))
    rows.setdefault((regime, case, sched), []).append(row)

def med(key, runs):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None

summary = {}
for regime in ("memory-limited", "cached", "mixed", "offcpu"):
    keys = [k for k in rows if k[0] == regime]
    if not keys:
        continue
    print(f"\n{regime}: medians of {max(len(rows[k]) for k in keys)} rounds")
    print(f"{'case':<12}{'scheduler':>10}{'op/s':>12}{'p99.9 ms':>11}{'max ms':>10}{'bg MB/s':>10}{'cached':>8}")
    for k in sorted(keys):
        runs = rows[k]
        m = {x: med(x, runs) for x in ("throughput", "p999", "max", "bg", "cached")}
        summary[k] = m
        bg = f"{m['bg']:.0f}" if m["bg"] is not None else "-"
        cached = f"{m['cached']:.2f}" if m["cached"] is not None else "-"
        print(f"{k[1]:<12}{k[2]:>10}{m['throughput']:>12,.0f}{m['p999'] / 1e6:>11.1f}{m['max'] / 1e6:>10.1f}{bg:>10}{cached:>8}")

def ratio(a, b, key):
    if a in summary and b in summary and summary[b][key]:
        return summary[a][key] / summary[b][key]
    return None

print("\nratios (of medians)")
pairs = [
    ("memory-limited", "uring_512", "on", "mmap_512", "-"), ("memory-limited", "uring_512", "on", "uring_512", "off"),
    ("memory-limited", "uring_32", "on", "mmap_32", "-"), ("memory-limited", "uring_32", "on", "uring_32", "off"),
    ("cached", "uring_32", "on", "uring_32", "off"), ("mixed", "mixed_32", "on", "mixed_32", "off"),
]
for regime, c1, s1, c2, s2 in pairs:
    a, b = (regime, c1, s1), (regime, c2, s2)
    parts = [f"{key} {r:.2f}" for key in ("throughput", "p999", "max") if (r := ratio(a, b, key)) is not None]
    if key_bg := ratio(a, b, "bg"):
        parts.append(f"background {key_bg:.2f}")
    if parts:
        print(f"{regime}: {c1} {s1} / {c2} {s2}: " + ", ".join(parts))

tsv = os.path.join(out, "offcpu.tsv")
if os.path.exists(tsv):
    print("\noffcpu: worker switches with blk_mq_get_tag on the kernel stack, in 4 s (of all worker switches)")
    for line in open(tsv):
        label, round_, n, total = line.split()
        print(f"  {label:<16} round {round_}: {n} of {total}")
EOF
