using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// One way of reading blocks (uring, mmap, pread, randomaccess, nop). An instance serves one case: its constructor sets
/// everything up (files, runtime, buffers) before the clock starts, <see cref="Start"/> launches the loops, and
/// <see cref="Join"/> waits for them to stop on their own once the clock says so.
/// </summary>
internal interface IBenchMethod : IDisposable
{
    /// <summary>Worker threads of a runtime the method runs on; 0 when it has none.</summary>
    int Workers { get; }

    /// <summary>The runtime's active backend (<c>IoUring</c> or <c>Fallback</c>) for methods on a runtime, else null.</summary>
    string? Backend => null;

    /// <summary>Whether the runtime's I/O scheduler is on, as the runtime itself reports it (methods on a runtime), else null.</summary>
    bool? IoScheduler => null;

    /// <summary>MB/s (10^6 bytes) a background writer wrote during the measured phase (mixed cases), else null.</summary>
    double? BackgroundMegabytesPerSecond => null;

    /// <summary>
    /// Starts one loop per recorder. Loops may run at once (the clock is not started yet, so they record nothing) or
    /// wait for <see cref="Release"/>; threads do the latter, so that hundreds of them starting do not slow each other.
    /// </summary>
    void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders);

    /// <summary>Lets loops that wait after <see cref="Start"/> go; called right after the clock is started.</summary>
    void Release()
    {
    }

    /// <summary>Waits for every loop to end; false on timeout. Throws what a loop failed with.</summary>
    bool Join(TimeSpan timeout);
}
