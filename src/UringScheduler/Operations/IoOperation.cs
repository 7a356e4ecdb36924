using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// One request to the kernel and the awaitable that completes when its final completion has been reaped. Each kind of
/// request derives from this class with its own typed fields, its SQE preparation (<see cref="PrepareSqe"/>), its
/// result mapping and its blocking equivalent for the fallback engine; this base holds what every request shares: the
/// file it addresses, the resources it borrows (<see cref="OperationResources"/>), cancellation and a linked timeout.
/// Operations are pooled per owner and reused, so steady-state operations allocate nothing.
/// </summary>
/// <remarks>
/// Request fields are written by the issuing thread before the operation is handed to its owner and are read only by
/// the owner afterwards. Nothing the operation borrowed is released before the final completion has arrived, whatever
/// happened in between (cancellation, handle disposal, shutdown).
/// </remarks>
internal abstract unsafe partial class IoOperation : OperationCompletionSource
{
    private IOperationOwner _owner = null!;
    private bool _pooled;
    private int _ownerThreadId;
    private int _kindIndex;
    private int _kernelResult;

    // The duration of a timeout or linked timeout, in native memory owned by the operation across incarnations: the
    // kernel reads it when it picks the SQE up during a later io_uring_enter, and a managed field could have moved.
    private KernelTimespec* _timespec;

    /// <summary>What the request borrows while the kernel owns it.</summary>
    protected OperationResources Resources;

    /// <summary>The user_data of the current incarnation, set when it enters its owner's slab.</summary>
    internal ulong UserData;

    /// <summary>The file descriptor the request addresses, or -1 (none, or a registered slot).</summary>
    internal int Fd = -1;

    /// <summary>Slot of the file in the ring's registered-file table, or -1 to use <see cref="Fd"/>.</summary>
    internal int FixedFile = -1;

    /// <summary>The file's path for error messages when the request has no descriptor to look it up by (a registered slot).</summary>
    private string? _path;

    /// <summary>A linked timeout (<c>LINK_TIMEOUT</c>) for the request, in nanoseconds; 0 for none.</summary>
    internal long LinkTimeoutNs;

    /// <summary>The request's place with its worker's I/O scheduler, when it goes to a block device.</summary>
    internal DeviceTicket Ticket;

    /// <summary>What the request asks of the device behind its file: nothing for kinds that are not file I/O.</summary>
    internal virtual DeviceWork DeviceWork => DeviceWork.None;

    /// <summary>The bytes the request transfers, for its cost.</summary>
    internal virtual long DeviceBytes => 0;

    internal IOperationOwner Owner => _owner;

    /// <summary>The number of this operation's kind (<see cref="OperationKind{T}"/>), for per-kind pools.</summary>
    internal int KindIndex => _kindIndex;

    /// <summary>The linked timeout's duration, for the SQE that carries it.</summary>
    internal KernelTimespec* LinkTimeoutSpec => _timespec;

    /// <summary>Whether the request goes out with a fixed-buffer opcode (for the worker's counters).</summary>
    internal bool UsesFixedBuffer { get; private protected set; }

    /// <summary>Makes a new operation for <paramref name="owner"/>; <paramref name="pooled"/> ones go back to its pool.</summary>
    internal static T Create<T>(IOperationOwner owner, bool pooled)
        where T : IoOperation, new()
    {
        var op = new T();
        op._owner = owner;
        op._pooled = pooled;

        // Pooled operations are made by the pool, on its owner's thread: the one they may go back to the pool from.
        op._ownerThreadId = Environment.CurrentManagedThreadId;
        op._kindIndex = OperationKind<T>.Index;
        return op;
    }

    // ---------------------------------------------------------------- addressing

    /// <summary>
    /// Addresses the file by <paramref name="handle"/>'s descriptor and keeps the reference the caller took on it
    /// (<c>DangerousAddRef</c>) until the completion has arrived.
    /// </summary>
    internal void AddressHandle(SafeHandle handle)
    {
        Resources.AdoptHandleReference(handle);
        Fd = (int)handle.DangerousGetHandle();
    }

    /// <summary>Addresses the file by its registered slot, holding <paramref name="lease"/> until the completion has arrived.</summary>
    internal void AddressFixedFile(IFixedFileLease lease, string? path)
    {
        Resources.AdoptFixedFile(lease);
        FixedFile = lease.Slot;
        _path = path;
    }

    /// <summary>Bounds the request by a linked timeout; it ends with <see cref="TimeoutException"/> when it fires.</summary>
    internal void SetLinkTimeout(long nanoseconds)
    {
        LinkTimeoutNs = nanoseconds;
        SetTimespec(nanoseconds);
    }

    /// <summary>Writes the duration the kernel reads for a timeout or linked timeout.</summary>
    protected KernelTimespec* SetTimespec(long nanoseconds)
    {
        if (_timespec == null)
        {
            _timespec = (KernelTimespec*)NativeMemory.Alloc((nuint)sizeof(KernelTimespec));
        }

        *_timespec = KernelTimespec.FromNanoseconds(nanoseconds);
        return _timespec;
    }

    // ---------------------------------------------------------------- submission and results

    /// <summary>Fills <paramref name="sqe"/> for the current state of the request (this kind's opcode and fields, and <see cref="UserData"/>).</summary>
    protected abstract void PrepareSqe(Sqe* sqe);

    /// <summary>Fills <paramref name="sqe"/> for the request, addressing its file by slot when it has one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prepare(Sqe* sqe)
    {
        PrepareSqe(sqe);
        if (FixedFile >= 0)
        {
            sqe->Fd = FixedFile;
            sqe->Flags |= IOSQE_FIXED_FILE;
        }

        if (Ticket.NoWait)
        {
            sqe->OpFlags |= Interop.Libc.RWF_NOWAIT;
        }
    }

    /// <summary>
    /// For a page-cache probe that found the data not cached (<c>EAGAIN</c>), only partly cached (a count short of
    /// what was asked: the kernel stops at the first page it would have to wait for), or whose file system does not
    /// take <c>RWF_NOWAIT</c> (<c>EOPNOTSUPP</c>): drops the flag so the whole request goes back to the kernel and
    /// waits for the device; true when it is to be resubmitted. A probe whose caller asked to cancel meanwhile is not
    /// resubmitted: <paramref name="result"/> becomes <c>ECANCELED</c>.
    /// </summary>
    /// <remarks>
    /// A read that crosses the end of the file also comes back short; it is read again, once, and returns the same
    /// count. A probe that returns 0 is at or past the end: that is its answer.
    /// </remarks>
    protected bool RetryMissedProbe(ref int result)
    {
        if (!Ticket.NoWait || (result != -Errno.EAGAIN && result != -Errno.EOPNOTSUPP && (result <= 0 || result >= DeviceBytes)))
        {
            return false;
        }

        Ticket.NoWait = false;
        if (result == -Errno.EOPNOTSUPP)
        {
            Ticket.File?.OnNoWaitRefused();
        }
        if (CancelRequested)
        {
            result = -Errno.ECANCELED;
            return false;
        }

        Ticket.Missed = true;
        return true;
    }

    /// <summary>
    /// Takes the kernel's result for the request. Returns false when the request must go back to the kernel for more
    /// (the rest of a short write, the next chunk of a gather write).
    /// </summary>
    internal virtual bool OnResult(int result)
    {
        _kernelResult = result;
        return true;
    }

    /// <summary>
    /// Takes a completion that carries flags (a provided buffer, more completions to come). Returns true when the
    /// request stays in flight: a multishot request posts completions until one comes without
    /// <c>IORING_CQE_F_MORE</c>. False goes on to <see cref="OnResult"/>, as for any completion.
    /// </summary>
    internal virtual bool OnFlaggedCompletion(int result, uint flags) => false;

    /// <summary>Sets the result of a request that ends without reaching the kernel (taken out of a queue, cancelled).</summary>
    internal void SetUnsubmittedResult(int result) => _kernelResult = result;

    /// <summary>Records the final result directly (the kinds that override <see cref="OnResult"/>).</summary>
    protected void SetKernelResult(int result) => _kernelResult = result;

    /// <summary>
    /// A write completes in full or fails. One cancelled after a short write is not resubmitted, and must not report
    /// the part written as success either: it ends cancelled. Returns false when the rest is to be resubmitted.
    /// </summary>
    protected bool EndIfCanceledAfterShortWrite()
    {
        if (!CancelRequested)
        {
            return false;
        }

        _kernelResult = -Errno.ECANCELED;
        return true;
    }

    /// <summary>
    /// Turns the final result into the outcome: null for success, with <paramref name="result"/> the value the awaiter
    /// receives, else the exception. A kind overrides it to treat some errno as success (as .NET does for some calls),
    /// or to replace the outcome (a request on an object disposed meanwhile).
    /// </summary>
    protected virtual Exception? MapOutcome(ref int result) => result >= 0 ? null : CreateError(-result);

    /// <summary>Runs the request as a blocking system call (the fallback engine); returns the result or -errno.</summary>
    internal abstract int ExecuteBlocking(IBlockingWait wait);

    /// <summary>Clears this kind's request fields so the operation can be reused.</summary>
    protected abstract void ResetRequest();

    // ---------------------------------------------------------------- completion

    /// <summary>
    /// Releases what the request borrowed (the kernel is done with it), turns the result into the outcome and resumes
    /// the awaiter. Called on the owner's thread once the final completion has been reaped.
    /// </summary>
    internal void Complete()
    {
        // Disposing waits for a cancel callback running elsewhere; after this no callback can touch the operation.
        EndCancellation();

        int result = _kernelResult;
        Exception? error = MapOutcome(ref result);

        // The error text above may name the file, so the handle is released only now; the awaiter resumes after.
        Resources.Release();
        if (error is null)
        {
            SetResult(result);
        }
        else
        {
            SetException(error);
        }
    }

    /// <summary>Ends an operation that never reached the kernel (or whose outcome is already known) with <paramref name="error"/>.</summary>
    internal void CompleteWithError(Exception error)
    {
        EndCancellation();
        Resources.Release();
        SetException(error);
    }

    /// <summary>The exception for a request that failed with <paramref name="errno"/>: a timeout, a cancellation, or <see cref="MapErrno"/>.</summary>
    protected Exception CreateError(int errno)
    {
        // A linked timeout that fires cancels the request: ECANCELED (or EINTR from an io-wq worker), unless the
        // caller cancelled too, in which case the caller's cancellation wins.
        if (_timedOut || (LinkTimeoutNs > 0 && !CancelRequested && errno is Errno.ECANCELED or Errno.EINTR))
        {
            return new TimeoutException($"The operation did not complete within {TimeSpan.FromTicks(LinkTimeoutNs / 100)} and was cancelled in the kernel.");
        }

        if (CancelRequested && errno is Errno.ECANCELED or Errno.EINTR)
        {
            return CreateCanceledError();
        }

        return MapErrno(errno);
    }

    /// <summary>The exception for a failed request of this kind: by default what .NET's file APIs throw for <paramref name="errno"/>.</summary>
    protected virtual Exception MapErrno(int errno) => IoErrors.FromErrno(errno, Fd, _path);


    protected override void OnConsumed()
    {
        Debug.Assert(!Resources.IsHeld, "An operation was reused while it still held resources.");
        Fd = -1;
        FixedFile = -1;
        UsesFixedBuffer = false;
        _path = null;
        LinkTimeoutNs = 0;
        Ticket = default;
        _kernelResult = 0;
        ResetCancellation();
        ResetRequest();
        if (_pooled && Environment.CurrentManagedThreadId == _ownerThreadId)
        {
            _owner.Return(this);
        }
        else
        {
            // Not reusable from here (a foreign caller's operation, or a result read off the owner's thread): the
            // kernel is done with it, so its native memory can go.
            FreeNative();
        }
    }

    /// <summary>
    /// Drops an operation that was rented but never submitted (filling in its request failed): gives back what it had
    /// borrowed so far, the reference on the file's handle included, and its native memory.
    /// </summary>
    internal void Abandon()
    {
        Resources.Release();
        FreeNative();
    }

    /// <summary>Frees native memory the operation keeps across incarnations; only for operations never used again.</summary>
    internal virtual void FreeNative()
    {
        if (_timespec != null)
        {
            NativeMemory.Free(_timespec);
            _timespec = null;
        }
    }
}
