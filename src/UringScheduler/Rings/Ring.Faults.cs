using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

// The fault-injection seam (IRingFaults): null in production, where each hook below costs one null check. Everything
// that runs only with a fault plan attached lives here, out of the hot methods.
internal sealed unsafe partial class Ring
{
    private IRingFaults? _faults;

    /// <summary>Attaches a fault plan; call once, right after <see cref="Create(uint, RingSetupRung, uint)"/>, on the owner thread.</summary>
    internal void AttachFaults(IRingFaults faults) => _faults = faults;

    /// <summary>
    /// Completions are waiting to be drained: in the CQ, in the kernel's overflow list, or held back by a fault plan
    /// and now due.
    /// </summary>
    public bool HasCompletions => CqReady > 0 || CqOverflowPending || (_faults is not null && _faults.DueCount > 0);

    // Shows the fault plan each SQE handed out since the last publish, before the kernel can see it.
    private void PublishWithFaults()
    {
        for (uint i = Volatile.Read(ref *_sqTail); i != _sqeTail; i++)
        {
            _faults!.OnPublish(&_sqes[i & _sqMask]);
        }
    }

    // One io_uring_enter as the plan has it: refused without entering, or entered with what it left of the arguments.
    private int EnterWithFaults(uint toSubmit, uint minComplete, uint flags, void* arg, nuint argSize)
    {
        int refused = _faults!.OnEnter(ref toSubmit, ref minComplete, flags);
        return refused != 0 ? refused : Interop.IoUring.Enter(_enterFd, toSubmit, minComplete, flags | _enterFlags, arg, argSize);
    }

    // Drain, with the plan choosing what the worker sees: nothing (the CQ left to fill up and overflow), completions
    // rewritten or held back, and the held ones that have come due.
    private int DrainWithFaults(Span<Cqe> destination)
    {
        IRingFaults faults = _faults!;
        if (faults.WithholdDrain(CqReady, CqOverflowPending))
        {
            return 0;
        }

        int n = CopyWithFaults(destination);
        if (n == 0 && CqOverflowPending)
        {
            Submit(getEvents: true);
            n = CopyWithFaults(destination);
        }

        while (n < destination.Length && faults.TryTakeDue(out Cqe due))
        {
            destination[n++] = due;
        }

        return n;
    }

    private int CopyWithFaults(Span<Cqe> destination)
    {
        uint head = *_cqHead;
        uint tail = Volatile.Read(ref *_cqTail);
        int n = 0;
        while (head != tail && n < destination.Length)
        {
            Cqe cqe = _cqes[head & _cqMask];
            head++;
            if (cqe.UserData != InternalUserData && _faults!.OnCompletion(ref cqe))
            {
                destination[n++] = cqe;
            }
        }

        Volatile.Write(ref *_cqHead, head);
        return n;
    }
}
