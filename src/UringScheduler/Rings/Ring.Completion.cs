using System.Runtime.CompilerServices;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

internal sealed unsafe partial class Ring
{
    /// <summary>user_data of completions the ring produces for itself (the timeout SQE of the pre-EXT_ARG wait); never handed out.</summary>
    public const ulong InternalUserData = ulong.MaxValue;

    // Kernel-shared completion ring fields.
    private uint* _cqHead;      // written by us as we consume CQEs
    private uint* _cqTail;      // written by the kernel as it posts CQEs
    private uint* _cqOverflow;
    private uint _cqMask;
    private uint _cqEntries;
    private Cqe* _cqes;

    /// <summary>The completion queue's size.</summary>
    public uint CqEntries => _cqEntries;

    /// <summary>Completions dropped because the CQ was full (only on kernels without <c>IORING_FEAT_NODROP</c>).</summary>
    public uint CqOverflowCount => Volatile.Read(ref *_cqOverflow);

    /// <summary>Completions posted and not yet consumed.</summary>
    public uint CqReady
    {
        // Acquire on the tail: pairs with the kernel's release after it has written the CQE.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref *_cqTail) - *_cqHead;
    }

    /// <summary>
    /// Copies up to <c>destination.Length</c> completions out of the CQ and frees their slots at once, so that running
    /// their continuations afterwards never holds CQ space. When the CQ is empty but the kernel holds overflowed
    /// completions, flushes them first; that enter also submits every SQE prepared so far, so call it only between
    /// complete SQEs (never half-way through a linked group). Returns how many were copied.
    /// </summary>
    public int Drain(Span<Cqe> destination)
    {
        if (_faults is not null)
        {
            return DrainWithFaults(destination);
        }

        int n = Copy(destination);
        if (n == 0 && CqOverflowPending)
        {
            // NODROP kept completions that did not fit; GETEVENTS moves them into the CQ (EBUSY just means try later).
            Submit(getEvents: true);
            n = Copy(destination);
        }

        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Copy(Span<Cqe> destination)
    {
        // Only this thread writes the head, so a plain read of it is current.
        uint head = *_cqHead;

        // Acquire: a CQE's contents are read only after the tail that covers it has been observed.
        uint tail = Volatile.Read(ref *_cqTail);
        int n = 0;
        while (head != tail && n < destination.Length)
        {
            Cqe cqe = _cqes[head & _cqMask];
            head++;
            if (cqe.UserData != InternalUserData)
            {
                destination[n++] = cqe;
            }
        }

        // Release: the CQEs were copied out before the kernel can see their slots as free and overwrite them.
        Volatile.Write(ref *_cqHead, head);
        return n;
    }

    /// <summary>Looks at the next completion without consuming it.</summary>
    public bool TryPeek(out Cqe cqe)
    {
        uint head = *_cqHead;
        while (head != Volatile.Read(ref *_cqTail))
        {
            cqe = _cqes[head & _cqMask];
            if (cqe.UserData != InternalUserData)
            {
                return true;
            }

            head++;
            Volatile.Write(ref *_cqHead, head);
        }

        cqe = default;
        return false;
    }

    /// <summary>Consumes <paramref name="count"/> completions seen with <see cref="TryPeek"/>.</summary>
    public void Advance(uint count)
    {
        Volatile.Write(ref *_cqHead, *_cqHead + count);
    }
}
