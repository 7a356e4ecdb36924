using System.Runtime.CompilerServices;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

internal sealed unsafe partial class Ring
{
    // Kernel-shared submission ring fields.
    private uint* _sqHead;      // written by the kernel as it consumes SQEs
    private uint* _sqTail;      // written by us to publish SQEs
    private uint* _sqFlags;     // NEED_WAKEUP, CQ_OVERFLOW, TASKRUN
    private uint* _sqDropped;
    private uint _sqMask;
    private uint _sqEntries;
    private Sqe* _sqes;

    // Local tail: SQEs handed out by TryGetSqe. Published to *_sqTail by PublishTail.
    private uint _sqeTail;

    /// <summary><c>io_uring_enter</c> calls made on this ring (EINTR retries included).</summary>
    public long EnterCount { get; private set; }

    /// <summary>The submission queue's size.</summary>
    public uint SqEntries => _sqEntries;

    /// <summary>SQEs handed out and not yet consumed by the kernel.</summary>
    public uint SqPending
    {
        // Acquire: pairs with the kernel's release of sq.head after it has read the SQEs, so a slot counted as free
        // is really done with.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _sqeTail - Volatile.Read(ref *_sqHead);
    }

    /// <summary>SQEs that can still be handed out before a submit is needed.</summary>
    public uint SqSpaceLeft => _sqEntries - SqPending;

    /// <summary>SQEs the kernel dropped as invalid since the ring was created.</summary>
    public uint SqDropped => Volatile.Read(ref *_sqDropped);

    /// <summary>The kernel holds completions that did not fit in the CQ (<c>IORING_SQ_CQ_OVERFLOW</c>); entering with GETEVENTS flushes them.</summary>
    public bool CqOverflowPending => (Volatile.Read(ref *_sqFlags) & IORING_SQ_CQ_OVERFLOW) != 0;

    /// <summary>Task work is waiting to be run by entering the ring (<c>IORING_SQ_TASKRUN</c>, with <c>TASKRUN_FLAG</c>).</summary>
    public bool TaskRunPending => (Volatile.Read(ref *_sqFlags) & IORING_SQ_TASKRUN) != 0;

    /// <summary>
    /// Hands out the next free SQE, zeroed, or null when the submission queue is full (submit, then try again).
    /// The SQE is not visible to the kernel until the next submit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Sqe* TryGetSqe()
    {
        uint tail = _sqeTail;
        if (tail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            return null;
        }

        Sqe* sqe = &_sqes[tail & _sqMask];
        *sqe = default;
        _sqeTail = tail + 1;
        return sqe;
    }

    /// <summary>Returns the most recently handed-out SQE, before it was submitted (used when preparing a group of linked SQEs fails half-way).</summary>
    public void UngetSqe()
    {
        _sqeTail--;
    }

    /// <summary>
    /// Publishes every SQE handed out so far: after this, the kernel may read them. Returns how many are pending.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint PublishTail()
    {
        if (_faults is not null)
        {
            PublishWithFaults();
        }

        // Release: the SQE contents written through TryGetSqe must be visible before the kernel can observe the new
        // tail (it reads the tail with acquire semantics and then the SQEs).
        Volatile.Write(ref *_sqTail, _sqeTail);
        return SqPending;
    }

    /// <summary>
    /// Submits every prepared SQE with one <c>io_uring_enter</c>. With <paramref name="getEvents"/> the kernel also runs
    /// deferred task work, which a <c>DEFER_TASKRUN</c> ring needs for completions to appear. Returns SQEs consumed or -errno
    /// (<c>EAGAIN</c>/<c>EBUSY</c>: reap completions, then retry).
    /// </summary>
    public int Submit(bool getEvents = false) => Submit(getEvents, uint.MaxValue);

    /// <summary>
    /// Publishes every prepared SQE but hands the kernel at most <paramref name="maxToSubmit"/> of them (it consumes
    /// SQEs from the head, in order); the rest stay published and go with the next enter. Returns SQEs consumed or -errno.
    /// </summary>
    public int Submit(bool getEvents, uint maxToSubmit)
    {
        uint pending = PublishTail();
        if (pending == 0 && !getEvents)
        {
            return 0;
        }

        return Enter(Math.Min(pending, maxToSubmit), 0, getEvents ? IORING_ENTER_GETEVENTS : 0, null, 0);
    }

    /// <summary>
    /// Submits every prepared SQE and waits until at least <paramref name="waitCount"/> completions are in the CQ, or
    /// <paramref name="timeoutNanoseconds"/> passes (negative: no timeout). Returns SQEs consumed, 0 on timeout, or -errno.
    /// </summary>
    public int SubmitAndWait(uint waitCount, long timeoutNanoseconds = -1)
    {
        uint pending = PublishTail();
        if (timeoutNanoseconds < 0)
        {
            return Enter(pending, waitCount, IORING_ENTER_GETEVENTS, null, 0);
        }

        KernelTimespec ts = KernelTimespec.FromNanoseconds(timeoutNanoseconds);
        if (_features.ExtArg && !ForceTimeoutSqeWait)
        {
            GetEventsArg arg = default;
            arg.Ts = (ulong)&ts;
            int rc = Enter(pending, waitCount, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, (nuint)sizeof(GetEventsArg));
            return rc == -Errno.ETIME ? 0 : rc;
        }

        return SubmitAndWaitWithTimeoutSqe(waitCount, &ts);
    }

    /// <summary>
    /// Makes timed waits use the TIMEOUT-SQE path of kernels without <c>EXT_ARG</c> (before 5.11), so that the tests
    /// cover it on any kernel.
    /// </summary>
    internal bool ForceTimeoutSqeWait { get; set; }

    // Kernels before 5.11 lack EXT_ARG: a TIMEOUT SQE whose completion the drain discards bounds the wait instead.
    // The timespec must stay valid until the kernel has read it, which happens during this enter call.
    // The result counts the caller's SQEs only, as the EXT_ARG path does: the SQEs consumed by the enter that made
    // room, plus those of the waiting enter minus our own TIMEOUT.
    private int SubmitAndWaitWithTimeoutSqe(uint waitCount, KernelTimespec* ts)
    {
        int submitted = 0;
        Sqe* sqe = TryGetSqe();
        if (sqe == null)
        {
            int rc = Submit();
            if (rc < 0)
            {
                return rc;
            }

            submitted = rc;
            sqe = TryGetSqe();
            if (sqe == null)
            {
                return submitted > 0 ? submitted : -Errno.EBUSY;
            }
        }

        RingPrep.Timeout(sqe, ts, count: waitCount, flags: 0, InternalUserData);
        uint pending = PublishTail();
        int entered = Enter(pending, waitCount, IORING_ENTER_GETEVENTS, null, 0);
        if (entered < 0)
        {
            // The TIMEOUT stays queued and goes in with the next submit; its completion is discarded like any other.
            return submitted > 0 ? submitted : entered;
        }

        // SQEs are consumed in order and the TIMEOUT is the last one: it went in exactly when all of them did.
        return submitted + (entered == (int)pending ? entered - 1 : entered);
    }

    /// <summary>Runs <c>io_uring_enter</c>, retrying when a signal interrupts it (nothing was submitted then).</summary>
    private int Enter(uint toSubmit, uint minComplete, uint flags, void* arg, nuint argSize)
    {
        while (true)
        {
            EnterCount++;
            int rc = _faults is null
                ? Interop.IoUring.Enter(_enterFd, toSubmit, minComplete, flags | _enterFlags, arg, argSize)
                : EnterWithFaults(toSubmit, minComplete, flags, arg, argSize);

            if (rc != -Errno.EINTR)
            {
                return rc;
            }

            // EINTR is returned only when no SQE was consumed; recompute what is still pending and go again.
            toSubmit = SqPending;
        }
    }
}
