using System.Runtime.InteropServices;
using UringScheduler.Diagnostics;
using UringScheduler.Native;
using UringScheduler.Operations;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Engines;

/// <summary>
/// The io_uring engine: one ring per worker, created on the worker thread. Submissions are batched into one
/// <c>io_uring_enter</c> per loop turn; the worker sleeps inside that call when it has nothing to run, and other threads
/// wake it by writing an eventfd whose read is kept armed on the ring.
/// </summary>
internal sealed unsafe class RingEngine : IoEngine
{
    private const ulong WakeUserData = OperationSlab.InternalBit | 1;
    private const ulong CancelUserData = OperationSlab.InternalBit | 2;
    private const ulong LinkTimeoutUserData = OperationSlab.InternalBit | 3;
    private const ushort ReceiveBufferGroupId = 0;

    private readonly uint _entries;
    private readonly RingSetupRung _highestRung;
    private readonly uint _maxSubmitBatch;
    private readonly int _maxKernelWorkers;
    private readonly Queue<IoOperation> _backlog = new();
    private readonly Queue<ulong> _cancelBacklog = new();
    private Ring? _ring;
    private Cqe[] _cqes = [];
    private int _eventFd = -1;
    private ulong* _eventBuffer;
    private bool _wakeArmed;
    private bool _deferTaskRun;
    private bool _taskRunFlag;

    private readonly bool _multishot;
    private readonly int _fileSlotsWanted;
    private readonly UringBufferPool? _buffers;
    private int[] _freeFileSlots = [];
    private int _freeFileSlotCount;

    private readonly IRingFaults? _faults;

    public RingEngine(IEngineHost host, OperationSlab slab, uint entries, int maxKernelWorkers, int fileSlots, UringBufferPool? buffers, RingSetupRung highestRung = RingSetupRung.DeferTaskRun, int maxSubmitBatch = 0, bool multishot = true, IRingFaults? faults = null)
        : base(host, slab)
    {
        _multishot = multishot;
        _faults = faults;
        _maxSubmitBatch = maxSubmitBatch > 0 ? (uint)maxSubmitBatch : uint.MaxValue;
        _entries = entries;
        _maxKernelWorkers = maxKernelWorkers;
        _fileSlotsWanted = fileSlots;
        _buffers = buffers;
        _highestRung = highestRung;
    }

    /// <summary>Slots in this ring's registered-file table (0 when none could be registered).</summary>
    public int FileSlots { get; private set; }

    /// <summary>Why the runtime's buffer pool could not be registered in this ring, or null.</summary>
    public UringUnavailableException? BufferRegistrationError { get; private set; }

    /// <summary>The runtime's buffer pool when it is registered in this ring.</summary>
    public override UringBufferPool? RegisteredBuffers => _registeredBuffers;

    private UringBufferPool? _registeredBuffers;

    internal Ring Ring => _ring!;

    /// <summary><c>io_uring_enter</c> calls made on this engine's ring, counted by the ring itself so that none is missed.</summary>
    public override long EnterCalls => _ring?.EnterCount ?? 0;

    /// <summary>SQEs handed to the kernel by those calls.</summary>
    public long SubmittedSqes { get; private set; }

    /// <summary>eventfd writes made to wake this engine's worker.</summary>
    public override long WakeWrites => Volatile.Read(ref _wakeWrites);

    private long _wakeWrites;

    public override bool HasCompletionsReady => _ring!.HasCompletions;

    public override void Initialize()
    {
        _ring = Ring.Create(_entries, _highestRung, _faults?.CqEntries ?? 0);
        if (_faults is not null)
        {
            _ring.AttachFaults(_faults);
        }

        _cqes = new Cqe[_ring.CqEntries];
        _deferTaskRun = _ring.Features.DeferTaskRun;
        _ = _ring.RegisterRingFd(); // best effort: before 5.18 enters go by descriptor
        _taskRunFlag = _ring.Features.HasSetupFlag(IORING_SETUP_TASKRUN_FLAG);

        if (_maxKernelWorkers >= 0)
        {
            uint bounded = (uint)_maxKernelWorkers, unbounded = (uint)_maxKernelWorkers;
            _ = _ring.SetIoWorkerLimits(ref bounded, ref unbounded); // best effort: kernels before 5.15 lack it
        }

        _eventFd = Interop.Libc.EventFd(0, Interop.Libc.EFD_CLOEXEC | Interop.Libc.EFD_NONBLOCK);
        if (_eventFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ring.Dispose();
            throw new IOException($"eventfd failed: {Errno.Describe(errno)}", errno);
        }

        _eventBuffer = (ulong*)NativeMemory.Alloc(sizeof(ulong));
        RegisterResources();
        ArmWake();
    }

    private void RegisterResources()
    {
        // Registered files and buffers only speed I/O up: when the kernel refuses them (ENOMEM, a memlock or file
        // limit), the ring serves the same requests by descriptor and with the plain opcodes, and says why once.
        if (_fileSlotsWanted > 0)
        {
            // The kernel refuses a table larger than RLIMIT_NOFILE (EMFILE); a smaller one is still worth having.
            int slots = (int)Math.Min(_fileSlotsWanted, ProcessLimits.OpenFiles());
            int rc = slots > 0 ? _ring!.RegisterFilesSparse((uint)slots) : 0;
            if (slots > 0 && rc == 0)
            {
                FileSlots = slots;
                _freeFileSlots = new int[slots];
                for (int i = 0; i < slots; i++)
                {
                    _freeFileSlots[i] = slots - 1 - i;
                }

                _freeFileSlotCount = slots;
            }
            else if (rc < 0)
            {
                AddRegistrationProblem(
                    $"Registering a table of {slots} files in the io_uring ring failed: {Errno.Describe(-rc)}. " +
                    "Files are addressed by descriptor instead (RegisteredFileSlots; RLIMIT_NOFILE now " + ProcessLimits.OpenFiles() + ").");
            }
        }

        if (_buffers is not null && _buffers.Count > 0)
        {
            int rc = _ring!.RegisterBuffers(_buffers.IoVecs);
            if (rc < 0)
            {
                // The ring serves everything else, and the pool's buffers as plain memory (READ/WRITE instead of
                // READ_FIXED/WRITE_FIXED): the worker reports the error and goes on.
                BufferRegistrationError = new UringUnavailableException(
                    $"Registering the buffer pool ({_buffers.Count} x {_buffers.BufferSize} bytes) in an io_uring ring failed: {Errno.Describe(-rc)}. " +
                    $"Registered buffers are locked memory, charged to RLIMIT_MEMLOCK once per ring (now {ProcessLimits.MemlockText()}) " +
                    "unless the process has CAP_IPC_LOCK: raise the limit (ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock= in Docker) " +
                    "or lower RegisteredBufferCount/RegisteredBufferSize. Until then the pool's buffers are used unregistered.",
                    -rc);
            }
            else
            {
                _registeredBuffers = _buffers;
            }
        }
    }

    public override ReceiveBufferGroup CreateReceiveBuffers(IOperationOwner owner, int count, int size)
    {
        // Multishot RECV came in 6.0 with SEND_ZC: the opcode probe stands in for it. Provided buffer rings (5.19)
        // without multishot receives would only save the free list, so they are not used alone.
        Ring ring = _ring!;
        if (!_multishot || !ring.Features.Supports(IoUringOp.SendZc))
        {
            return base.CreateReceiveBuffers(owner, count, size);
        }

        return ReceiveBufferGroup.Create(owner, count, size, n => ProvidedBufferRing.TryCreate(ring, (uint)n, ReceiveBufferGroupId, out _));
    }

    /// <summary>Multishot ACCEPT came in 5.19, with the SOCKET opcode that the probe reports.</summary>
    public override bool SupportsMultishotAccept => _multishot && _ring!.Features.Supports(IoUringOp.Socket);

    /// <summary>What the kernel refused when the ring's resources were registered (the ring works without them), or null.</summary>
    public override string? RegistrationProblem => _registrationProblem;

    private string? _registrationProblem;

    private void AddRegistrationProblem(string problem) =>
        _registrationProblem = _registrationProblem is null ? problem : _registrationProblem + " " + problem;

    public override int TryRegisterFile(int fd)
    {
        if (_freeFileSlotCount == 0)
        {
            return -1;
        }

        int slot = _freeFileSlots[_freeFileSlotCount - 1];
        if (_ring!.UpdateFiles((uint)slot, [fd]) < 0)
        {
            return -1;
        }

        _freeFileSlotCount--;
        return slot;
    }

    public override void UnregisterFile(int slot)
    {
        if (_ring is null || _ring.IsDisposed)
        {
            return;
        }

        // Requests already submitted hold their own reference to the file; emptying the slot only stops new ones.
        _ = _ring.UpdateFiles((uint)slot, [Interop.IoUring.RegisteredFileEmpty]);
        _freeFileSlots[_freeFileSlotCount++] = slot;
    }

    private void ArmWake()
    {
        Sqe* sqe = _ring!.TryGetSqe();
        if (sqe == null)
        {
            return; // retried at the next flush
        }

        RingPrep.Read(sqe, _eventFd, _eventBuffer, sizeof(ulong), 0, WakeUserData);
        _wakeArmed = true;
    }

    public override void Submit(IoOperation op)
    {
        if (_backlog.Count > 0 || !TryPrepare(_ring!, op))
        {
            // The SQ is full: keep the order and submit it at the next flush, once the kernel has taken what is queued.
            _backlog.Enqueue(op);
        }
    }

    // One SQE, or two for a request with a linked timeout: IOSQE_IO_LINK ties the request to the SQE right after it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool TryPrepare(Ring ring, IoOperation op)
    {
        if (op.LinkTimeoutNs == 0)
        {
            Sqe* sqe = ring.TryGetSqe();
            if (sqe == null)
            {
                return false;
            }

            op.Prepare(sqe);
            return true;
        }

        if (ring.SqSpaceLeft < 2)
        {
            return false;
        }

        Sqe* request = ring.TryGetSqe();
        op.Prepare(request);
        request->Flags |= IOSQE_IO_LINK;
        RingPrep.LinkTimeout(ring.TryGetSqe(), op.LinkTimeoutSpec, 0, LinkTimeoutUserData);
        return true;
    }

    public override void Cancel(IoOperation op)
    {
        // A cancel must reach the kernel after the request it targets, or it finds nothing (-ENOENT) and the request,
        // submitted later, stays in flight for good (a read on an empty pipe, say). While requests wait in the backlog
        // behind a full SQ, the cancel waits behind them.
        Sqe* sqe = _backlog.Count == 0 ? _ring!.TryGetSqe() : null;
        if (sqe == null)
        {
            _cancelBacklog.Enqueue(op.UserData);
            return;
        }

        RingPrep.Cancel(sqe, op.UserData, 0, CancelUserData);
    }

    public override int ProcessCompletions()
    {
        Ring ring = _ring!;
        Cqe[] cqes = _cqes;
        int total = 0;
        while (true)
        {
            int n = ring.Drain(cqes);
            for (int i = 0; i < n; i++)
            {
                ref Cqe cqe = ref cqes[i];
                ulong userData = cqe.UserData;
                if ((userData & OperationSlab.InternalBit) != 0)
                {
                    if (userData == WakeUserData)
                    {
                        _wakeArmed = false;
                    }

                    continue;
                }

                IoOperation? op = Slab.Find(userData);
                if (op is null)
                {
                    continue; // cannot happen: every slab entry sees exactly one final completion
                }

                if (cqe.Flags != 0 && op.OnFlaggedCompletion(cqe.Res, cqe.Flags))
                {
                    continue; // a multishot request: more completions to come, it stays in the slab
                }

                if (op.OnResult(cqe.Res))
                {
                    Slab.Remove(userData);
                    Host.OnCompleted(op);
                }
                else
                {
                    Submit(op);
                }
            }

            total += n;
            if (n < cqes.Length)
            {
                return total;
            }
        }
    }

    public override void Enter(bool wait, long timeoutNanoseconds)
    {
        Ring ring = _ring!;
        DrainBacklog(ring);
        if (!_wakeArmed)
        {
            ArmWake();
        }

        int rc;
        int submitted;
        int lastBatch;
        if (wait)
        {
            uint pending = ring.SqPending;
            rc = ring.SubmitAndWait(1, timeoutNanoseconds);
            submitted = lastBatch = (int)Math.Min(pending, rc > 0 ? (uint)rc : 0);
        }
        else
        {
            uint pending = ring.SqPending;

            // Enter only when there is something to hand over, or when completions cannot appear without it: a
            // DEFER_TASKRUN ring posts them only while its owner is inside io_uring_enter with GETEVENTS. TASKRUN_FLAG
            // says when such work is queued; without it (never on the rungs we create) every enter must ask.
            // Completions the kernel finishes inline (NOPs, cached reads) are posted by the submit itself, so a
            // submit-only enter skips the GETEVENTS pass and its cost.
            bool needEvents = Slab.InFlight > 0 && (_taskRunFlag ? ring.TaskRunPending : _deferTaskRun);
            if (pending == 0 && !needEvents)
            {
                return;
            }

            rc = ring.Submit(needEvents, _maxSubmitBatch);
            submitted = lastBatch = rc > 0 ? rc : 0;

            // With a batch limit (UringRuntimeOptions.MaxSubmitBatch) the turn's SQEs go in over several enters, each
            // a batch of its own. Without one an enter takes them all, and this loop runs only after a partial submit.
            while (lastBatch > 0 && ring.SqPending > 0)
            {
                UringMetrics.RecordSubmitBatch(lastBatch, Host.WorkerId);
                rc = ring.Submit(_taskRunFlag ? ring.TaskRunPending : _deferTaskRun, _maxSubmitBatch);
                lastBatch = rc > 0 ? rc : 0;
                submitted += lastBatch;
            }
        }

        SubmittedSqes += submitted;
        if (lastBatch > 0)
        {
            UringMetrics.RecordSubmitBatch(lastBatch, Host.WorkerId);
        }

        if (rc < 0 && rc != -Errno.EBUSY && rc != -Errno.EAGAIN && rc != -Errno.ETIME)
        {
            throw new IOException($"io_uring_enter failed: {Errno.Describe(-rc)}", -rc);
        }
    }

    private void DrainBacklog(Ring ring)
    {
        // Requests first, then the cancels: a cancel queued while its request was still in the backlog must follow it.
        while (_backlog.Count > 0)
        {
            if (!TryPrepare(ring, _backlog.Peek()))
            {
                // Hand the full SQ over now so that the rest fits; one extra enter only in this overloaded case.
                if (SubmitFullQueue(ring) <= 0 || !TryPrepare(ring, _backlog.Peek()))
                {
                    return;
                }
            }

            _backlog.Dequeue();
        }

        while (_cancelBacklog.Count > 0)
        {
            Sqe* sqe = ring.TryGetSqe();
            if (sqe == null)
            {
                // As above: a cancel left behind here could wait for a completion that only it would bring.
                if (SubmitFullQueue(ring) <= 0 || (sqe = ring.TryGetSqe()) == null)
                {
                    return;
                }
            }

            RingPrep.Cancel(sqe, _cancelBacklog.Dequeue(), 0, CancelUserData);
        }
    }

    // An extra enter that hands a full SQ over (no GETEVENTS), counted like the loop's own. Returns SQEs taken or -errno.
    private int SubmitFullQueue(Ring ring)
    {
        int rc = ring.Submit();
        if (rc > 0)
        {
            SubmittedSqes += rc;
            UringMetrics.RecordSubmitBatch(rc, Host.WorkerId);
        }

        return rc;
    }

    public override void Wake()
    {
        ulong one = 1;
        Interop.Libc.Write(_eventFd, &one, sizeof(ulong));
        Interlocked.Increment(ref _wakeWrites);
    }

    /// <summary>Cancels the armed wake-up read and waits for its completion, so the kernel no longer holds the read buffer.</summary>
    public override void Quiesce()
    {
        Ring? ring = _ring;
        if (ring is null || ring.IsDisposed)
        {
            return;
        }

        Sqe* sqe = ring.TryGetSqe();
        if (sqe == null && (SubmitFullQueue(ring) <= 0 || (sqe = ring.TryGetSqe()) == null))
        {
            return; // the read stays armed: Dispose then leaks its 8 bytes rather than free them under the kernel
        }

        RingPrep.Cancel(sqe, WakeUserData, 0, CancelUserData);

        // A cancelled poll-armed read completes at once; the bound (50 x 100 ms) only keeps a broken ring from
        // holding the worker's exit forever, and on that path the buffer is leaked, never freed.
        for (int attempt = 0; _wakeArmed && attempt < 50; attempt++)
        {
            int rc = ring.SubmitAndWait(1, 100_000_000);
            if (rc < 0 && rc != -Errno.EBUSY && rc != -Errno.EAGAIN)
            {
                break;
            }

            ProcessCompletions();
        }
    }

    public override string Describe() =>
        _ring is null ? "not initialized" : $"{_ring.Features.DescribeRing()}; {FileSlots} registered file slots; buffer pool {(_registeredBuffers is not null ? "registered" : _buffers is { Count: > 0 } ? "not registered" : "none")}";

    public override void Dispose()
    {
        _ring?.Dispose();
        if (_eventFd >= 0)
        {
            Interop.Libc.Close(_eventFd);
            _eventFd = -1;
        }

        if (_eventBuffer != null && !_wakeArmed)
        {
            NativeMemory.Free(_eventBuffer);
        }

        // If the wake read could not be confirmed cancelled, the 8-byte buffer is deliberately leaked rather than
        // freed under the kernel.
        _eventBuffer = null;
    }
}
