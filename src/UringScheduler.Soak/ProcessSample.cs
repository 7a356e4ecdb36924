using System.Diagnostics.Metrics;

namespace UringScheduler.Soak;

/// <summary>The process figures the soak compares: open descriptors, resident memory, the runtime's operations in flight.</summary>
internal readonly record struct ProcessSample(int Descriptors, double RssMiB, double ManagedMiB, long InFlight)
{
    /// <summary>Takes the figures; <see cref="ManagedMiB"/> (the GC heap's live bytes) tells a managed leak from a native one.</summary>
    public static ProcessSample Take()
    {
        return new ProcessSample(CountDescriptors(), ReadRssMiB(), GC.GetTotalMemory(forceFullCollection: false) / 1048576.0, ReadInFlight());
    }

    public static int CountDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    public static double ReadRssMiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
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
