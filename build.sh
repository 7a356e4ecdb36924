#!/usr/bin/env bash
# UringScheduler build entry point. Needs only the .NET 10 SDK; restores packages itself.
#   ./build.sh [build]        Release build of the whole solution
#   ./build.sh test           Release build, then every test project; prints the totals
#   ./build.sh bench [args]   runs uring-bench (src/UringScheduler.Bench) with the given arguments
#   ./build.sh pack [args]    NuGet packages (UringScheduler, UringScheduler.Hosting, UringScheduler.Tsavorite, with .snupkg symbols) into
#                             artifacts/packages/; e.g. ./build.sh pack -p:VersionSuffix=beta.1
#   ./build.sh aot            publishes test/UringScheduler.AotSmoke with native AOT (needs clang) and runs it
#   ./build.sh kv [args]      runs the UringKv sample (RESP key-value service), see docs/storage-service.md
#   ./build.sh kv-bench [args] redis-benchmark against UringKv, redis-server and garnet-server, interleaved rounds (installs what is missing);
#                             --large: GET of 4 KiB values from a data set 8x a memory cgroup's limit, against garnet-server's storage tier
#   ./build.sh soak [--duration S] [--backend auto|iouring|fallback] [--json PATH]
#                             Release build, then uring-soak: every kind of operation at once, every outcome checked;
#                             non-zero exit on a mismatch, an unexpected error or a leak (see docs/reliability.md)
#   ./build.sh clean          removes build output
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cmd="${1:-build}"
[ $# -gt 0 ] && shift

build() {
    dotnet build UringScheduler.sln -c Release -nologo -clp:NoSummary -v:minimal "$@"
}

case "$cmd" in
    build)
        build "$@"
        ;;
    test)
        build
        mkdir -p artifacts/test
        log="artifacts/test/test-output.txt"
        set +e
        # --blame-hang-timeout ends (and fails) a run whose testhost hangs, instead of holding CI for its whole budget.
        # -m:1 runs the test projects one after another: the core's CPU-time and wake-up measurements must not share
        # the cores with the hosting project's sample smoke runs, which keep every core busy for a few seconds.
        dotnet test UringScheduler.sln -c Release --no-build -nologo -m:1 --blame-hang-timeout 4m \
            --logger "console;verbosity=normal" --results-directory artifacts/test "$@" 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        set -e
        # One closing line with the totals over every test project.
        count() { { grep -Eo "^ +$1: +[0-9]+" "$log" || true; } | awk '{s+=$2} END {print s+0}'; }
        passed=$(count Passed)
        failed=$(count Failed)
        skipped=$(count Skipped)
        echo
        echo "${passed} passed, ${failed} failed, ${skipped} skipped"
        if [ "$rc" -eq 0 ] && [ "$passed" -eq 0 ]; then
            echo "no test ran" >&2
            exit 1
        fi
        exit "$rc"
        ;;
    bench)
        proj="src/UringScheduler.Bench/UringScheduler.Bench.csproj"
        if [ ! -f "$proj" ]; then
            echo "uring-bench does not exist yet ($proj)" >&2
            exit 1
        fi
        dotnet build "$proj" -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
        exec dotnet "src/UringScheduler.Bench/bin/Release/net10.0/uring-bench.dll" "$@"
        ;;
    pack)
        out="artifacts/packages"
        mkdir -p "$out"
        for proj in src/UringScheduler/UringScheduler.csproj src/UringScheduler.Hosting/UringScheduler.Hosting.csproj src/UringScheduler.Tsavorite/UringScheduler.Tsavorite.csproj; do
            dotnet pack "$proj" -c Release -nologo -clp:NoSummary -v:minimal -o "$out" "$@"
        done
        ls -l "$out"
        ;;
    aot)
        # Not part of `test`: the trim and AOT analyzers already run in every build (IsAotCompatible), and the ILC
        # publish adds a native toolchain, a 40 MB compiler package and most of a minute of both cores.
        rid="linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')"
        out="artifacts/aot"
        rm -rf "$out"
        dotnet publish test/UringScheduler.AotSmoke/UringScheduler.AotSmoke.csproj -c Release -r "$rid" -nologo \
            -clp:NoSummary -v:minimal -o "$out" "$@"
        log="$(mktemp)"
        set +e
        "$out/UringScheduler.AotSmoke" | tee "$log"
        rc=${PIPESTATUS[0]}
        set -e
        if [ "$rc" -ne 0 ] || ! grep -qx "aot: ok" "$log"; then
            rm -f "$log"
            echo "aot: the native AOT program failed (exit $rc)" >&2
            exit 1
        fi
        rm -f "$log"
        ;;
    kv)
        proj="samples/UringKv/UringKv.csproj"
        dotnet build "$proj" -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
        exec dotnet "samples/UringKv/bin/Release/net10.0/UringKv.dll" "$@"
        ;;
    kv-bench)
        exec bash samples/UringKv/kv-bench.sh "$@"
        ;;
    soak)
        proj="src/UringScheduler.Soak/UringScheduler.Soak.csproj"
        dotnet build "$proj" -c Release -nologo -v:quiet -clp:NoSummary >/dev/null
        exec dotnet "src/UringScheduler.Soak/bin/Release/net10.0/uring-soak.dll" "$@"
        ;;
    clean)
        dotnet clean UringScheduler.sln -c Release -nologo -v:quiet >/dev/null 2>&1 || true
        find src test samples -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
        rm -rf artifacts
        ;;
    *)
        echo "usage: ./build.sh [build|test|bench [args]|pack [args]|aot|kv [args]|kv-bench [args]|soak [args]|clean]" >&2
        exit 2
        ;;
esac
