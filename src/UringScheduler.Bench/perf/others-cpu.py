#!/usr/bin/env python3
"""Runs a command and reports how busy OTHER processes kept the machine meanwhile, the way uring-bench's
"others' cpu" column does: machine-wide busy time from /proc/stat (user nice system irq softirq steal) minus the
command's own CPU time (its children's rusage), as a percentage of all CPUs over the run's wall time.

    others-cpu.py RESULT_FILE COMMAND [ARGS...]

Writes the percentage (one number) to RESULT_FILE; the command's exit code is passed on. Used by compare.sh for
fio and nop-baseline, so that rounds disturbed by someone else's load can be told apart on a shared machine.
"""
import os
import resource
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds():
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return sum(int(fields[i]) for i in (1, 2, 3, 6, 7, 8) if i < len(fields)) / TICKS


def own_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    result, command = sys.argv[1], sys.argv[2:]
    busy0, own0, t0 = busy_seconds(), own_seconds(), time.monotonic()
    rc = subprocess.call(command)
    busy1, own1, t1 = busy_seconds(), own_seconds(), time.monotonic()
    capacity = (os.cpu_count() or 1) * (t1 - t0)
    others = max(0.0, min(100.0, 100 * ((busy1 - busy0) - (own1 - own0)) / capacity)) if capacity > 0 else 0.0
    with open(result, "w") as f:
        f.write(f"{others:.1f}\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
