using UringScheduler.Operations;

namespace UringScheduler.Engines;

/// <summary>
/// The fallback engine's state for one operation while an I/O thread runs it: whether it has started, whether it must
/// be abandoned, the thread to interrupt, and the result to hand back. Pooled by the engine; the operation itself knows
/// nothing of it.
/// </summary>
internal sealed class FallbackJob
{
    internal const int Queued = 0;
    internal const int Running = 1;
    internal const int Canceled = 2;

    /// <summary>Queued, running or cancelled; changed with interlocked operations.</summary>
    internal int State;

    /// <summary>Set (with a volatile write) when the running thread must abandon the operation.</summary>
    internal int CancelFlag;

    public FallbackJob(FallbackEngine engine)
    {
        Engine = engine;
    }

    public FallbackEngine Engine { get; }

    public IoOperation? Operation { get; private set; }

    /// <summary>The thread running the operation, while it runs.</summary>
    internal FallbackIoPool.IoThread? Thread { get; set; }

    /// <summary>The result, or -errno.</summary>
    internal int Result { get; set; }

    internal void Start(IoOperation operation)
    {
        Operation = operation;
        State = Queued;
        CancelFlag = 0;
        Thread = null;
        Result = 0;
    }

    internal void Clear() => Operation = null;
}
