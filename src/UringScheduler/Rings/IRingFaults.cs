using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

/// <summary>
/// Makes a <see cref="Ring"/> answer as the kernel rarely does (a refused or interrupted <c>io_uring_enter</c>, a partial
/// submit, a short transfer, a completion held back, reordered or rewritten, a refused registration), so that the layers
/// above can be tested against those answers on any kernel. Attached to a ring at creation
/// (<see cref="Ring.AttachFaults"/>) and called only on the ring's owner thread; a ring without one pays one null check
/// per submit, enter and drain.
/// </summary>
internal unsafe interface IRingFaults
{
    /// <summary>The completion queue size to create the ring with, or 0 for the default (twice the SQ).</summary>
    uint CqEntries { get; }

    /// <summary>Completions held back earlier that are now due (<see cref="TryTakeDue"/> hands them out).</summary>
    int DueCount { get; }

    /// <summary>
    /// Sees every SQE once, as it becomes visible to the kernel. May rewrite it as the kernel would have served it
    /// differently (a shorter transfer, a request that never runs).
    /// </summary>
    void OnPublish(Sqe* sqe);

    /// <summary>
    /// Called before each <c>io_uring_enter</c>. Returns 0 to enter the kernel with the (possibly reduced) arguments,
    /// or -errno to answer the call without entering it: nothing is consumed then, as the kernel does on
    /// <c>EAGAIN</c>, <c>EBUSY</c> and <c>EINTR</c>.
    /// </summary>
    int OnEnter(ref uint toSubmit, ref uint minComplete, uint flags);

    /// <summary>Whether this drain must leave the completion queue alone (a worker slow to reap, so the kernel overflows it).</summary>
    bool WithholdDrain(uint cqReady, bool overflowPending);

    /// <summary>Sees every completion taken off the queue. May rewrite it; false holds it back until it is due.</summary>
    bool OnCompletion(ref Cqe cqe);

    /// <summary>Hands out a completion that was held back and is now due.</summary>
    bool TryTakeDue(out Cqe cqe);

    /// <summary>Called before each <c>io_uring_register</c> with its opcode: 0 to go on, or -errno to refuse it.</summary>
    int OnRegister(uint opcode);
}
