using System.Diagnostics;

namespace EchoServer;

/// <summary>
/// The process-wide counters the stats line reports as deltas: ThreadPool work items completed, bytes allocated on
/// the managed heap by every thread, and CPU time (user + system) of the whole process; and when they were taken
/// (<see cref="Stopwatch.GetTimestamp"/>).
/// </summary>
internal readonly record struct ProcessCounters(long ThreadPoolItems, long AllocatedBytes, TimeSpan CpuTime, long Timestamp)
{
    public static ProcessCounters Take()
    {
        using Process process = Process.GetCurrentProcess();
        return new ProcessCounters(
            ThreadPool.CompletedWorkItemCount,
            GC.GetTotalAllocatedBytes(precise: true),
            process.TotalProcessorTime,
            Stopwatch.GetTimestamp());
    }

    public static ProcessCounters operator -(ProcessCounters end, ProcessCounters start) => new(
        end.ThreadPoolItems - start.ThreadPoolItems,
        end.AllocatedBytes - start.AllocatedBytes,
        end.CpuTime - start.CpuTime,
        end.Timestamp - start.Timestamp);
}
