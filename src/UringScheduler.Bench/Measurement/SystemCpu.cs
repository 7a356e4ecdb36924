using System.Globalization;
using Mono.Unix.Native;

namespace UringScheduler.Bench.Measurement;

/// <summary>
/// Machine-wide busy CPU time from <c>/proc/stat</c>. Subtracting the process's own CPU time gives what everything
/// else on the machine (other processes, and the hypervisor's steal) took during a case: on a shared 2-CPU machine
/// that is often what explains a noisy result.
/// </summary>
internal static class SystemCpu
{
    private static readonly long s_ticksPerSecond = ReadTicksPerSecond();

    /// <summary>Busy time of all CPUs together (user, nice, system, irq, softirq, steal); zero where unknown.</summary>
    public static TimeSpan Busy()
    {
        try
        {
            using StreamReader reader = new("/proc/stat");
            string? line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                return TimeSpan.Zero;
            }

            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

            // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            foreach (int index in (ReadOnlySpan<int>)[1, 2, 3, 6, 7, 8])
            {
                if (index < fields.Length)
                {
                    busy += long.Parse(fields[index], CultureInfo.InvariantCulture);
                }
            }

            return TimeSpan.FromSeconds(busy / (double)s_ticksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return TimeSpan.Zero;
        }
    }

    private static long ReadTicksPerSecond()
    {
        long ticks = Syscall.sysconf(SysconfName._SC_CLK_TCK);
        return ticks > 0 ? ticks : 100;
    }
}
