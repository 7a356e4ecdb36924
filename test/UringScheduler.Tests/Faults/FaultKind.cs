namespace UringScheduler.Tests.Faults;

/// <summary>A way the kernel rarely answers, as a <see cref="FaultPlan"/> makes a ring answer it.</summary>
public enum FaultKind
{
    /// <summary>No fault: the baseline every other row is compared with.</summary>
    None,

    /// <summary><c>io_uring_enter</c> fails with <c>EAGAIN</c> (no request could be allocated), nothing consumed.</summary>
    EnterEagain,

    /// <summary><c>io_uring_enter</c> fails with <c>EBUSY</c> (completions must be reaped first), nothing consumed.</summary>
    EnterEbusy,

    /// <summary>The kernel consumes one SQE of a batch and returns at once without waiting, as it does when it runs out of memory mid-batch.</summary>
    PartialSubmit,

    /// <summary>A signal interrupts a waiting <c>io_uring_enter</c>: <c>EINTR</c> when nothing was submitted, else an early return.</summary>
    EnterEintr,

    /// <summary>The worker is slow to reap: a CQ the size of the SQ fills up and the kernel keeps the rest in its overflow list.</summary>
    CqOverflow,

    /// <summary>Transfers move half of what was asked (the SQE's length halved; for vectored requests the CQE's count).</summary>
    ShortTransfer,

    /// <summary>The first attempt of each transfer moves nothing (a CQE result of 0).</summary>
    ZeroTransfer,

    /// <summary>The kernel cancels the request on its own before it runs: its CQE carries <c>-ECANCELED</c>, no cancel was asked for.</summary>
    CanceledByKernel,

    /// <summary>The caller cancels; the kernel's <c>ASYNC_CANCEL</c> finds the request before it ran, which ends with <c>-ECANCELED</c>.</summary>
    CancelWins,

    /// <summary>The caller cancels after the request has finished in the kernel but before its completion was reaped: the result stands.</summary>
    CompletionWinsCancel,

    /// <summary>A stray <c>-ECANCELED</c> completion for the request's user_data arrives after its own completion.</summary>
    StaleCanceled,
}
