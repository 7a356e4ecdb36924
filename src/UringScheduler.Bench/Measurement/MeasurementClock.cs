using System.Diagnostics;

namespace UringScheduler.Bench.Measurement;

/// <summary>
/// The phases of one case in <see cref="Stopwatch"/> timestamps: operations that start before <see cref="MeasureStart"/>
/// are warm-up and not recorded; loops stop once an operation ends at or after <see cref="MeasureEnd"/>.
/// </summary>
/// <remarks>
/// The clock is created before the loops and started (<see cref="Begin"/>) only once every loop is up: starting 512
/// threads on 2 CPUs can take seconds, and that time must count neither as warm-up nor as measurement. Until then both
/// edges are at <see cref="long.MaxValue"/>, so loops record nothing and never stop.
/// </remarks>
internal sealed class MeasurementClock
{
    private static readonly double s_nanosecondsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private readonly TimeSpan _warmup;
    private readonly TimeSpan _duration;
    private long _start = long.MaxValue;
    private long _measureStart = long.MaxValue;
    private long _measureEnd = long.MaxValue;

    public MeasurementClock(TimeSpan warmup, TimeSpan duration)
    {
        _warmup = warmup;
        _duration = duration;
        WindowCount = Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds));
    }

    public long Start => Volatile.Read(ref _start);

    public long MeasureStart => Volatile.Read(ref _measureStart);

    public long MeasureEnd => Volatile.Read(ref _measureEnd);

    /// <summary>Number of one-second windows in the measured phase (the last one may be partial).</summary>
    public int WindowCount { get; }

    public double MeasuredSeconds => (MeasureEnd - MeasureStart) / (double)Stopwatch.Frequency;

    /// <summary>Starts the warm-up now; the measured phase follows it.</summary>
    public void Begin()
    {
        long now = Stopwatch.GetTimestamp();
        long measureStart = now + SecondsToTicks(_warmup.TotalSeconds);

        // The end goes first: a loop that already sees the new start must not see a stale end before it.
        Volatile.Write(ref _start, now);
        Volatile.Write(ref _measureEnd, measureStart + SecondsToTicks(_duration.TotalSeconds));
        Volatile.Write(ref _measureStart, measureStart);
    }

    public bool IsOver(long timestamp) => timestamp >= MeasureEnd;

    /// <summary>Index of the one-second window an operation that started at <paramref name="timestamp"/> belongs to.</summary>
    public int WindowOf(long timestamp)
    {
        long window = (timestamp - MeasureStart) / Stopwatch.Frequency;
        return (int)Math.Clamp(window, 0, WindowCount - 1);
    }

    public static long TicksToNanoseconds(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * s_nanosecondsPerTick);

    private static long SecondsToTicks(double seconds) => (long)(seconds * Stopwatch.Frequency);
}
