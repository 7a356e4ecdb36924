using System.Diagnostics.Metrics;

namespace UringScheduler.Soak;

/// <summary>The process figures the soak compares: open descriptors, resident memory, the runtime's operations in flight.</summary>
internal readonly record struct ProcessSample(int Descriptors, double RssMiB, double ManagedMiB, double CommittedMiB, int Threads, int FallbackIoThreads, long InFlight)
{
    /// <summary>
    /// Takes the figures. <see cref="ManagedMiB"/> (the GC heap's live bytes) and <see cref="CommittedMiB"/> (the memory
    /// the GC holds) tell a managed leak from a native one; <see cref="Threads"/> counts the process's threads (each has a stack).
    /// <see cref="FallbackIoThreads"/> counts the fallback backend's I/O threads: each owns one eventfd, and the pool grows
    /// (to a bound, never shrinking) while blocking requests queue up, so descriptors are judged net of them.
    /// </summary>
    public static ProcessSample Take()
    {
        return new ProcessSample(CountDescriptors(), ReadRssMiB(), GC.GetTotalMemory(forceFullCollection: false) / 1048576.0,
            GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, ReadStatus("Threads:"), CountFallbackIoThreads(), ReadInFlight());
    }

    /// <summary>Descriptors not owned by the fallback's I/O threads: what the tolerance applies to.</summary>
    public int OwnDescriptors => Descriptors - FallbackIoThreads;

    // The fallback's I/O threads are named "uring-fallback-io-N"; the kernel keeps the first 15 characters.
    private static int CountFallbackIoThreads()
    {
        int count = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("uring-fallback", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return count;
    }

    public static int CountDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>What each open descriptor refers to (its /proc/self/fd link), to name the ones that appeared between two samples.</summary>
    public static Dictionary<int, string> ListDescriptors()
    {
        var list = new Dictionary<int, string>();
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture, out int fd))
            {
                try
                {
                    list[fd] = new FileInfo(entry).LinkTarget ?? "?";
                }
                catch (IOException)
                {
                    // Closed between the listing and the read (the listing's own descriptor).
                }
            }
        }

        return list;
    }

    public static double ReadRssMiB() => ReadStatus("VmRSS:") / 1024.0;

    /// <summary>The number after <paramref name="field"/> in /proc/self/status (kB for sizes).</summary>
    private static int ReadStatus(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan(field.Length).Trim().ToString().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>The sum over workers of the <c>uring.operations.in_flight</c> instrument of the <c>UringScheduler</c> meter.</summary>
    public static long ReadInFlight()
    {
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "UringScheduler" && instrument.Name == "uring.operations.in_flight")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => total += value);
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => total += value);
        listener.Start();
        listener.RecordObservableInstruments();
        return total;
    }
}
