using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// One I/O request and the awaitable that completes when its completion has been reaped. Pooled per worker and
/// reused, so steady-state operations allocate nothing. While the kernel owns the request, the operation keeps the
/// caller's buffers pinned and the file handle referenced; both are released only after the completion arrived,
/// whatever happened in between (cancellation, handle disposal, shutdown).
/// </summary>
/// <remarks>
/// Request fields are written by the issuing thread before the operation is handed to its worker and are read only
/// by the worker afterwards. Completion fields are written by the worker and published to other threads through the
/// interlocked exchange on <see cref="_continuation"/>.
/// </remarks>
internal sealed unsafe partial class IoOperation
{
    internal const int MaxIoVecs = 1024;

    private readonly UringWorker _worker;
    private readonly bool _pooled;

    internal IoOperation(UringWorker worker, bool pooled)
    {
        _worker = worker;
        _pooled = pooled;
    }

    internal UringWorker Worker => _worker;

    /// <summary>The user_data of the current incarnation, set when it enters the slab.</summary>
    internal ulong UserData;

    // ---- request ----
    internal IoOpKind Kind;
    internal int Fd = -1;
    internal byte SqeFlags;
    internal nint Address;
    internal uint Length;
    internal long Offset;
    internal ushort BufferIndex;
    internal IoVec* IoVecs;
    internal int IoVecCount;
    private int _ioVecCapacity;

    /// <summary>
    /// The duration of a timeout request, in native memory owned by the operation: the kernel reads it when it picks the
    /// SQE up during a later io_uring_enter, and a managed field could have moved by then.
    /// </summary>
    internal KernelTimespec* Timespec;

    /// <summary>Slot of the file in the ring's registered-file table, or -1 to use <see cref="Fd"/>.</summary>
    internal int FixedFile = -1;

    /// <summary>The per-worker registration the fixed slot belongs to; told when the operation ends.</summary>
    internal Files.FileSlot? FileSlot;

    /// <summary>The file's path for error messages when the request has no descriptor to look it up by (a registered slot).</summary>
    internal string? FilePath;

    /// <summary>A linked timeout (<c>LINK_TIMEOUT</c>) for the request, in nanoseconds; 0 for none.</summary>
    internal long LinkTimeoutNs;

    /// <summary>Set by an engine that cancelled the operation because its linked timeout expired (the fallback).</summary>
    internal bool TimedOut;

    /// <summary>OPENAT: flags and mode; the path lives in <see cref="_ownedNative"/>.</summary>
    internal int OpenFlags;

    // Native memory the operation owns for the kernel (an OPENAT path), freed once the completion has arrived.
    private nint _ownedNative;

    // A pool buffer the request reads or writes; referenced until the completion arrives.
    private UringBuffer? _leasedBuffer;

    // Gather writes longer than one SQE can carry keep their source list and progress here.
    private IReadOnlyList<ReadOnlyMemory<byte>>? _gatherSegments;
    private int _gatherNext;

    /// <summary>Bytes transferred by earlier submissions of a write that the kernel completed short.</summary>
    internal long Transferred;
    private long _totalLength;

    // ---- lifetime of borrowed resources ----
    private MemoryHandle _pin;
    private MemoryHandle[]? _pins;
    private int _pinCount;
    private SafeHandle? _handle;

    // ---- cancellation ----
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;
    internal bool CancelRequested;
    internal bool CancelSubmitted;
    internal bool ShutdownCancel;

    /// <summary>Opaque per-engine state (the fallback engine's I/O thread, for example).</summary>
    internal object? EngineState;

    /// <summary>The completion result when an engine delivers it outside the ring (the fallback).</summary>
    internal int PendingResult;

    /// <summary>The fallback pool's state for this operation (queued, running, cancelled); changed with interlocked operations.</summary>
    internal int FallbackState;

    /// <summary>Set (with a volatile write) when the fallback must abandon the operation.</summary>
    internal int FallbackCancel;

    /// <summary>True when this operation's buffers are released and it is ready to be reused.</summary>
    internal bool IsIdle => Kind == IoOpKind.None;

    // ---------------------------------------------------------------- request setup

    /// <summary>
    /// Keeps the reference the caller took on <paramref name="handle"/> (<c>DangerousAddRef</c>) for as long as the
    /// kernel may use its descriptor; it is released once the completion has arrived.
    /// </summary>
    internal void AdoptHandleReference(SafeHandle handle)
    {
        _handle = handle;
        Fd = (int)handle.DangerousGetHandle();
    }

    internal void SetNop()
    {
        Kind = IoOpKind.Nop;
    }

    internal void SetRead(Memory<byte> buffer, long offset) => SetTransfer(IoOpKind.Read, IoOpKind.ReadFixed, buffer, offset);

    internal void SetWrite(ReadOnlyMemory<byte> buffer, long offset) => SetTransfer(IoOpKind.Write, IoOpKind.WriteFixed, buffer, offset);

    // A single-buffer read or write. (A read's target arrives as ReadOnlyMemory only to share this code: the kernel
    // writes into the pinned memory either way.)
    private void SetTransfer(IoOpKind kind, IoOpKind fixedKind, ReadOnlyMemory<byte> buffer, long offset)
    {
        Kind = kind;
        if (!TryUseLeasedBuffer(buffer, fixedKind))
        {
            _pin = buffer.Pin();
            Address = (nint)_pin.Pointer;
            Length = (uint)buffer.Length;
        }

        _totalLength = Length;
        Offset = offset;
    }

    // Memory from a UringBuffer needs no pinning, and when it is registered in this worker's rings the request can
    // use the fixed-buffer opcode: the kernel then skips mapping the pages on every operation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryUseLeasedBuffer(ReadOnlyMemory<byte> buffer, IoOpKind fixedKind)
    {
        if (!MemoryMarshal.TryGetMemoryManager(buffer, out UringBuffer? leased, out int start, out int length))
        {
            return false;
        }

        leased.AddOperationReference();
        _leasedBuffer = leased;
        Address = (nint)(leased.Pointer + start);
        Length = (uint)length;
        if (leased.IsRegistered && _worker.FixedBuffersRegistered && ReferenceEquals(leased.Pool, _worker.Runtime.Buffers))
        {
            Kind = fixedKind;
            BufferIndex = (ushort)leased.Index;
        }

        return true;
    }

    /// <summary>OPENAT of <paramref name="path"/> relative to the current directory; the result is the new descriptor.</summary>
    internal void SetOpenAt(string path, int flags, uint mode)
    {
        Kind = IoOpKind.OpenAt;
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte* native = (byte*)NativeMemory.Alloc((nuint)max);
        int written = System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(native, max - 1));
        native[written] = 0;
        _ownedNative = (nint)native;
        Address = (nint)native;
        OpenFlags = flags;
        Length = mode;
    }

    /// <summary>A read into caller memory that is already pinned for the operation's life (a registered buffer, for example).</summary>
    internal void SetReadPinned(IoOpKind kind, void* address, uint length, long offset, ushort bufferIndex)
    {
        Kind = kind;
        Address = (nint)address;
        Length = length;
        _totalLength = length;
        Offset = offset;
        BufferIndex = bufferIndex;
    }

    internal void SetFsync(bool dataOnly)
    {
        Kind = dataOnly ? IoOpKind.FdataSync : IoOpKind.Fsync;
    }

    internal void SetTimeout(long nanoseconds)
    {
        Kind = IoOpKind.Timeout;
        if (Timespec == null)
        {
            Timespec = (KernelTimespec*)NativeMemory.Alloc((nuint)sizeof(KernelTimespec));
        }

        *Timespec = KernelTimespec.FromNanoseconds(nanoseconds);
    }

    /// <summary>A scatter read: one READV over at most <see cref="MaxIoVecs"/> segments (the kernel's limit per call).</summary>
    internal void SetReadV(IReadOnlyList<Memory<byte>> buffers, long offset)
    {
        Kind = IoOpKind.ReadV;
        int count = Math.Min(buffers.Count, MaxIoVecs);
        EnsureIoVecs(count);
        for (int i = 0; i < count; i++)
        {
            Memory<byte> segment = buffers[i];
            MemoryHandle pin = segment.Pin();
            _pins![_pinCount++] = pin;
            IoVecs[i] = new IoVec { Base = pin.Pointer, Length = (nuint)segment.Length };
        }

        IoVecCount = count;
        Offset = offset;
    }

    /// <summary>A gather write of every segment: WRITEV in chunks of at most <see cref="MaxIoVecs"/>, resubmitted until all is written.</summary>
    internal void SetWriteV(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
    {
        Kind = IoOpKind.WriteV;
        _gatherSegments = buffers;
        _gatherNext = 0;
        Offset = offset;
        EnsureIoVecs(Math.Min(buffers.Count, MaxIoVecs));
        FillGatherChunk();
    }

    private void FillGatherChunk()
    {
        IReadOnlyList<ReadOnlyMemory<byte>> segments = _gatherSegments!;
        int count = 0;
        long total = 0;
        while (_gatherNext < segments.Count && count < MaxIoVecs)
        {
            ReadOnlyMemory<byte> segment = segments[_gatherNext++];
            if (segment.IsEmpty)
            {
                continue;
            }

            MemoryHandle pin = segment.Pin();
            _pins![_pinCount++] = pin;
            IoVecs[count++] = new IoVec { Base = pin.Pointer, Length = (nuint)segment.Length };
            total += segment.Length;
        }

        IoVecCount = count;
        _totalLength = total;
        Transferred = 0;
    }

    private void EnsureIoVecs(int count)
    {
        if (_ioVecCapacity < count)
        {
            if (IoVecs != null)
            {
                NativeMemory.Free(IoVecs);
            }

            int capacity = Math.Max(count, 16);
            IoVecs = (IoVec*)NativeMemory.Alloc((nuint)capacity, (nuint)sizeof(IoVec));
            _ioVecCapacity = capacity;
        }

        // A gather write may pin more segments than one chunk holds: pins are released only at the very end.
        if (_pins is null || _pins.Length < count)
        {
            _pins = new MemoryHandle[Math.Max(count, 16)];
        }
    }

    private void EnsurePinCapacity(int extra)
    {
        if (_pinCount + extra > _pins!.Length)
        {
            Array.Resize(ref _pins, Math.Max(_pins.Length * 2, _pinCount + extra));
        }
    }

    // ---------------------------------------------------------------- submission

    /// <summary>The part of a single-buffer write still to be written.</summary>
    internal (nint Address, uint Length, long Offset) CurrentWrite() =>
        (Address + (nint)Transferred, (uint)(_totalLength - Transferred), Offset + Transferred);

    /// <summary>Fills the SQE for the current state of the request.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prepare(Sqe* sqe)
    {
        switch (Kind)
        {
            case IoOpKind.Read:
                Ring.RingPrep.Read(sqe, Fd, (void*)Address, Length, (ulong)Offset, UserData);
                break;
            case IoOpKind.Write:
                Ring.RingPrep.Write(sqe, Fd, (void*)(Address + (nint)Transferred), (uint)(_totalLength - Transferred), (ulong)(Offset + Transferred), UserData);
                break;
            case IoOpKind.ReadFixed:
                Ring.RingPrep.ReadFixed(sqe, Fd, (void*)Address, Length, (ulong)Offset, BufferIndex, UserData);
                break;
            case IoOpKind.WriteFixed:
                Ring.RingPrep.WriteFixed(sqe, Fd, (void*)(Address + (nint)Transferred), (uint)(_totalLength - Transferred), (ulong)(Offset + Transferred), BufferIndex, UserData);
                break;
            case IoOpKind.ReadV:
                Ring.RingPrep.Readv(sqe, Fd, IoVecs, (uint)IoVecCount, (ulong)Offset, UserData);
                break;
            case IoOpKind.WriteV:
                Ring.RingPrep.Writev(sqe, Fd, IoVecs, (uint)IoVecCount, (ulong)Offset, UserData);
                break;
            case IoOpKind.Fsync:
            case IoOpKind.FdataSync:
                Ring.RingPrep.Fsync(sqe, Fd, Kind == IoOpKind.FdataSync, UserData);
                break;
            case IoOpKind.Timeout:
                Ring.RingPrep.Timeout(sqe, Timespec, 0, 0, UserData);
                break;
            case IoOpKind.OpenAt:
                Ring.RingPrep.OpenAt(sqe, -100 /* AT_FDCWD */, (byte*)Address, OpenFlags, Length, UserData);
                break;
            default:
                Ring.RingPrep.Nop(sqe, UserData);
                break;
        }

        sqe->Flags |= SqeFlags;
        if (FixedFile >= 0)
        {
            sqe->Fd = FixedFile;
            sqe->Flags |= IOSQE_FIXED_FILE;
        }
    }

    /// <summary>Arms the linked timeout: native memory, since the kernel reads it during a later io_uring_enter.</summary>
    internal void SetLinkTimeout(long nanoseconds)
    {
        LinkTimeoutNs = nanoseconds;
        if (Timespec == null)
        {
            Timespec = (KernelTimespec*)NativeMemory.Alloc((nuint)sizeof(KernelTimespec));
        }

        *Timespec = KernelTimespec.FromNanoseconds(nanoseconds);
    }

    /// <summary>
    /// Takes the kernel's result for the request. Returns false when the operation went back to the kernel for more
    /// (the rest of a short write, the next chunk of a gather write): the caller must resubmit it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool OnResult(int result)
    {
        if (result > 0)
        {
            switch (Kind)
            {
                case IoOpKind.Write:
                case IoOpKind.WriteFixed:
                    return AdvanceWrite(result) || EndCanceledPartialWrite();
                case IoOpKind.WriteV:
                    return AdvanceGather(result) || EndCanceledPartialWrite();
            }
        }

        _result = result;
        return true;
    }

    // A write completes in full or fails. One cancelled after a short write is not resubmitted, and must not report
    // the part written as success either (it used to: the short count was taken as the final result): it ends
    // cancelled. Returns false when the rest is to be resubmitted.
    private bool EndCanceledPartialWrite()
    {
        if (!CancelRequested)
        {
            return false;
        }

        _result = -Errno.ECANCELED;
        return true;
    }

    private bool AdvanceWrite(int written)
    {
        Transferred += written;
        if (Transferred < _totalLength)
        {
            return false;
        }

        _result = (int)Math.Min(_totalLength, int.MaxValue);
        return true;
    }

    private bool AdvanceGather(int written)
    {
        Transferred += written;
        Offset += written;
        if (Transferred < _totalLength)
        {
            // Drop the iovecs written in full and trim the first partial one, then go again.
            int skip = 0;
            long left = written;
            while (left > 0 && left >= (long)IoVecs[skip].Length)
            {
                left -= (long)IoVecs[skip].Length;
                skip++;
            }

            if (left > 0)
            {
                IoVecs[skip].Base = (byte*)IoVecs[skip].Base + left;
                IoVecs[skip].Length -= (nuint)left;
            }

            IoVecCount -= skip;
            Buffer.MemoryCopy(IoVecs + skip, IoVecs, (long)IoVecCount * sizeof(IoVec), (long)IoVecCount * sizeof(IoVec));
            _totalLength -= Transferred;
            Transferred = 0;
            return false;
        }

        if (_gatherNext < _gatherSegments!.Count)
        {
            EnsurePinCapacity(Math.Min(_gatherSegments.Count - _gatherNext, MaxIoVecs));
            FillGatherChunk();
            if (IoVecCount > 0)
            {
                return false;
            }
        }

        _result = 0;
        return true;
    }

    // ---------------------------------------------------------------- cancellation

    /// <summary>Hooks the operation's token up to cancel it in the kernel. Called by the worker right after submission.</summary>
    internal void RegisterCancellation()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(static s => ((IoOperation)s!).OnTokenCanceled(), this);
        }
    }

    /// <summary>Ends an operation that never reached the kernel (or whose result is already known) with <paramref name="error"/>.</summary>
    internal void CompleteWithError(Exception error)
    {
        _registration.Dispose();
        _registration = default;
        _error = error;
        ReleaseResources();
        SignalCompletion();
    }

    internal void SetCancellationToken(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
    }

    // Runs on whichever thread cancels the token. The registration is disposed before the operation can be reused, and
    // disposal waits for a callback already running, so UserData still names this incarnation here.
    private void OnTokenCanceled()
    {
        _worker.RequestCancel(UserData);
    }

    // ---------------------------------------------------------------- completion

    /// <summary>
    /// Releases the borrowed buffers and handle (the kernel is done with them), turns the result into the outcome and
    /// resumes the awaiter. Called on the worker thread once the final completion has been reaped.
    /// </summary>
    internal void Complete()
    {
        // Disposing waits for a cancel callback running elsewhere; after this no callback can touch the operation.
        _registration.Dispose();
        _registration = default;

        int result = _result;
        if (Kind == IoOpKind.Timeout && (result == -Errno.ETIME || result == 0))
        {
            // A timeout that expires is the expected outcome of a delay.
            _result = 0;
        }
        else if (result < 0 && Kind is IoOpKind.Fsync or IoOpKind.FdataSync && -result is Errno.EINVAL or Errno.EROFS or Errno.EOPNOTSUPP)
        {
            // As RandomAccess.FlushToDisk: a descriptor that cannot be synced (pipe, character device, read-only
            // file system) has nothing to flush.
            _result = 0;
        }
        else if (result < 0)
        {
            _error = CreateError(-result);
        }
        else if (Kind is IoOpKind.Write or IoOpKind.WriteFixed or IoOpKind.WriteV)
        {
            _result = 0;
        }

        // The error text above may name the file, so the handle is released only now; the awaiter resumes after.
        ReleaseResources();
        SignalCompletion();
    }

    private Exception CreateError(int errno)
    {
        // A linked timeout that fires cancels the request: ECANCELED (or EINTR from an io-wq worker), unless the
        // caller cancelled too, in which case the caller's cancellation wins.
        if (TimedOut || (LinkTimeoutNs > 0 && !CancelRequested && (errno == Errno.ECANCELED || errno == Errno.EINTR)))
        {
            return new TimeoutException($"The operation did not complete within {TimeSpan.FromTicks(LinkTimeoutNs / 100)} and was cancelled in the kernel.");
        }

        if (CancelRequested && (errno == Errno.ECANCELED || errno == Errno.EINTR))
        {
            return _cancellationToken.IsCancellationRequested
                ? new OperationCanceledException(_cancellationToken)
                : new OperationCanceledException(ShutdownCancel ? "The operation was canceled because the UringRuntime is shutting down." : null);
        }

        return IoErrors.FromErrno(errno, Fd, FilePath);
    }

    private void ReleaseResources()
    {
        _pin.Dispose();
        _pin = default;
        if (_pinCount > 0)
        {
            for (int i = 0; i < _pinCount; i++)
            {
                _pins![i].Dispose();
                _pins[i] = default;
            }

            _pinCount = 0;
        }

        _gatherSegments = null;
        if (_leasedBuffer is not null)
        {
            _leasedBuffer.ReleaseOperationReference();
            _leasedBuffer = null;
        }

        if (_ownedNative != 0)
        {
            NativeMemory.Free((void*)_ownedNative);
            _ownedNative = 0;
        }

        if (FileSlot is not null)
        {
            FileSlot.OnOperationDone();
            FileSlot = null;
        }

        if (_handle is not null)
        {
            _handle.DangerousRelease();
            _handle = null;
        }
    }

    /// <summary>Puts the operation back into its pool once its result was read.</summary>
    private void Recycle()
    {
        Debug.Assert(_pinCount == 0 && _handle is null);
        Kind = IoOpKind.None;
        Fd = -1;
        SqeFlags = 0;
        Address = 0;
        Length = 0;
        Offset = 0;
        BufferIndex = 0;
        IoVecCount = 0;
        Transferred = 0;
        _totalLength = 0;
        FixedFile = -1;
        FilePath = null;
        LinkTimeoutNs = 0;
        TimedOut = false;
        OpenFlags = 0;
        CancelRequested = false;
        CancelSubmitted = false;
        ShutdownCancel = false;
        EngineState = null;
        PendingResult = 0;
        FallbackState = 0;
        FallbackCancel = 0;
        _cancellationToken = default;
        ResetCompletion();
        if (_pooled && _worker.IsCurrentThread)
        {
            _worker.ReturnOperation(this);
        }
        else
        {
            // Not reusable from here (a foreign caller's operation, or a result read off the worker): the kernel is
            // done with it, so its native memory can go.
            FreeNative();
        }
    }

    /// <summary>Frees native memory; only for operations that will never be used again.</summary>
    internal void FreeNative()
    {
        if (IoVecs != null)
        {
            NativeMemory.Free(IoVecs);
            IoVecs = null;
            _ioVecCapacity = 0;
        }

        if (Timespec != null)
        {
            NativeMemory.Free(Timespec);
            Timespec = null;
        }
    }
}
