using UringScheduler.Operations;

namespace UringScheduler.Engines;

/// <summary>
/// How one worker performs I/O: io_uring (<see cref="RingEngine"/>) or blocking calls on helper threads
/// (<see cref="FallbackEngine"/>). Every member but <see cref="Wake"/> and the counters runs on the worker thread.
/// </summary>
internal abstract class IoEngine : IDisposable
{
    protected IoEngine(IEngineHost host, OperationSlab slab)
    {
        Host = host;
        Slab = slab;
    }

    /// <summary>The worker the engine reports to.</summary>
    protected IEngineHost Host { get; }

    /// <summary>The worker's operations in flight, by user_data.</summary>
    protected OperationSlab Slab { get; }

    /// <summary>Sets the engine up on the worker thread (a ring must be created by the thread that will enter it).</summary>
    public abstract void Initialize();

    /// <summary>Queues <paramref name="op"/>, which already holds a slab slot, for submission.</summary>
    public abstract void Submit(IoOperation op);

    /// <summary>Asks the kernel to cancel <paramref name="op"/>; its completion still arrives and ends it.</summary>
    public abstract void Cancel(IoOperation op);

    /// <summary>Reaps completions, reporting final ones to the host (continuations run inline). Returns how many were reaped.</summary>
    public abstract int ProcessCompletions();

    /// <summary>
    /// Hands queued submissions to the kernel (<c>io_uring_enter</c>). With <paramref name="wait"/>, then sleeps until a
    /// completion, a <see cref="Wake"/>, or <paramref name="timeoutNanoseconds"/> (negative: none).
    /// </summary>
    public abstract void Enter(bool wait, long timeoutNanoseconds);

    /// <summary>Wakes the worker from <see cref="Enter"/>. Any thread; the worker calls it only while announced asleep.</summary>
    public abstract void Wake();

    /// <summary>Completions are waiting to be reaped by <see cref="ProcessCompletions"/>.</summary>
    public abstract bool HasCompletionsReady { get; }

    /// <summary>Completions that arrived outside the kernel's queues and are waiting to be processed.</summary>
    public virtual bool HasExternalCompletions => false;

    /// <summary>Prepares the engine to stop: called once the last operation has completed. Returns when the kernel owns nothing of the engine's.</summary>
    public abstract void Quiesce();

    /// <summary>Puts <paramref name="fd"/> into a free slot of the registered-file table; -1 when there is none (or no table).</summary>
    public virtual int TryRegisterFile(int fd) => -1;

    /// <summary>Empties a slot that <see cref="TryRegisterFile"/> filled, once nothing in flight names it.</summary>
    public virtual void UnregisterFile(int slot)
    {
    }

    /// <summary>The buffer pool registered in this engine's ring (fixed-buffer opcodes apply to its buffers), or null.</summary>
    public virtual UringBufferPool? RegisteredBuffers => null;

    /// <summary>Whether the engine runs multishot accepts (<see cref="MultishotAcceptOperation"/>).</summary>
    public virtual bool SupportsMultishotAccept => false;

    /// <summary>
    /// Makes this worker's receive buffers: a provided buffer ring the kernel picks from where the engine can (multishot
    /// receives), else a free list that single-shot receives take from. Owner thread.
    /// </summary>
    public virtual ReceiveBufferGroup CreateReceiveBuffers(IOperationOwner owner, int count, int size) =>
        ReceiveBufferGroup.Create(owner, count, size, createRing: null);

    /// <summary>What the kernel refused at <see cref="Initialize"/> that the engine works without (registered files or buffers), or null.</summary>
    public virtual string? RegistrationProblem => null;

    /// <summary><c>io_uring_enter</c> calls made (0 where there is no ring). Any thread.</summary>
    public virtual long EnterCalls => 0;

    /// <summary>Wake-ups written by other threads. Any thread.</summary>
    public abstract long WakeWrites { get; }

    /// <summary>A description of what the engine obtained, for the start-up log.</summary>
    public abstract string Describe();

    public abstract void Dispose();
}
