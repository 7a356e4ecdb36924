using UringScheduler.Diagnostics;
using UringScheduler.Operations;
using UringScheduler.Scheduling;

namespace UringScheduler;

// Operation life cycle on the worker: rent, submit, cancel, complete, return.
public sealed partial class UringWorker
{
    private const int MaxPooledOperations = 4096;

    private static readonly Action<object?> s_submitPosted = static s =>
    {
        var op = (IoOperation)s!;
        op.Worker.SubmitOnWorker(op);
    };

    private static readonly Action<object?> s_cancelPosted = static s =>
    {
        var request = (CancelRequest)s!;
        request.Worker.CancelNow(request.UserData);
    };

    private readonly Stack<IoOperation> _pool = new();
    private long _operationsCompleted;
    private long _canceledAtShutdown;
    private long _fixedBufferOperations;
    private long _fixedFileOperations;

    /// <summary>Operations completed by this worker since it started.</summary>
    internal long OperationsCompleted => Volatile.Read(ref _operationsCompleted);

    /// <summary>Operations that went out with READ_FIXED/WRITE_FIXED (a registered pool buffer).</summary>
    internal long FixedBufferOperations => Volatile.Read(ref _fixedBufferOperations);

    /// <summary>Operations that named their file by registered slot (IOSQE_FIXED_FILE).</summary>
    internal long FixedFileOperations => Volatile.Read(ref _fixedFileOperations);

    /// <summary>Operations cancelled because the runtime shut down.</summary>
    internal long CanceledAtShutdown => Volatile.Read(ref _canceledAtShutdown);

    /// <summary><c>io_uring_enter</c> calls made by this worker (0 on the fallback).</summary>
    internal long EnterCalls => (_engine as Engines.RingEngine)?.EnterCalls ?? 0;

    /// <summary>eventfd writes made by other threads to wake this worker.</summary>
    internal long WakeWrites => _engine switch
    {
        Engines.RingEngine ring => ring.WakeWrites,
        Engines.FallbackEngine fallback => fallback.WakeWrites,
        _ => 0,
    };

    /// <summary>Operations submitted and not yet completed.</summary>
    internal int OperationsInFlight => _slab.InFlight;

    /// <summary>
    /// An operation ready to be filled in and submitted to this worker: from the pool on the worker thread (no
    /// allocation), a fresh one elsewhere.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The runtime is shutting down.</exception>
    internal IoOperation PrepareOperation()
    {
        ThrowIfStopping();
        if (IsCurrentThread)
        {
            return _pool.TryPop(out IoOperation? op) ? op : new IoOperation(this, pooled: true);
        }

        return new IoOperation(this, pooled: false);
    }

    /// <summary>
    /// <see cref="PrepareOperation()"/> for a request on <paramref name="handle"/>: the handle's reference is taken
    /// first, so a handle closed meanwhile throws <see cref="ObjectDisposedException"/> before any operation is rented.
    /// </summary>
    internal IoOperation PrepareOperation(System.Runtime.InteropServices.SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            IoOperation op = PrepareOperation();
            op.AdoptHandleReference(handle);
            return op;
        }
        catch
        {
            handle.DangerousRelease();
            throw;
        }
    }

    internal void ReturnOperation(IoOperation op)
    {
        if (_pool.Count < MaxPooledOperations)
        {
            _pool.Push(op);
        }
        else
        {
            op.FreeNative();
        }
    }

    /// <summary>Submits a prepared operation. From another thread, it is handed to the worker, which submits it.</summary>
    internal void Submit(IoOperation op)
    {
        if (IsCurrentThread)
        {
            SubmitOnWorker(op);
        }
        else if (!TryEnqueueForeign(new WorkItem(s_submitPosted, op)))
        {
            // The worker has exited: nothing reached the kernel, so the operation can end here.
            op.CompleteWithError(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime was disposed before the operation could be submitted."));
        }
    }

    private void SubmitOnWorker(IoOperation op)
    {
        if (_stopping)
        {
            op.CompleteWithError(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime is shutting down and accepts no new operations."));
            return;
        }

        _slab.Add(op);
        _engine.Submit(op);
        op.RegisterCancellation();
    }

    /// <summary>Finishes an operation whose final completion was reaped. Worker thread only.</summary>
    internal void CompleteOperation(IoOperation op)
    {
        _operationsCompleted++;
        if (op.Kind is IoOpKind.ReadFixed or IoOpKind.WriteFixed)
        {
            _fixedBufferOperations++;
        }

        if (op.FixedFile >= 0)
        {
            _fixedFileOperations++;
        }

        if (op.ShutdownCancel)
        {
            _canceledAtShutdown++;
        }

        try
        {
            op.Complete();
        }
        catch (Exception e)
        {
            // A continuation that throws must not take the rest of the completion batch down with it.
            Log.WorkerFault(_logger, Id, e);
        }
    }

    /// <summary>Cancels the operation known as <paramref name="userData"/>, if it is still in flight. Any thread.</summary>
    internal void RequestCancel(ulong userData)
    {
        if (IsCurrentThread)
        {
            CancelNow(userData);
        }
        else
        {
            TryEnqueueForeign(new WorkItem(s_cancelPosted, new CancelRequest(this, userData)));
        }
    }

    private void CancelNow(ulong userData)
    {
        IoOperation? op = _slab.Find(userData);
        if (op is null || op.CancelSubmitted)
        {
            return;
        }

        op.CancelRequested = true;
        op.CancelSubmitted = true;
        _engine.Cancel(op);
    }

    private void CancelAllInFlight()
    {
        foreach (IoOperation op in _slab.Snapshot())
        {
            if (!op.CancelSubmitted)
            {
                op.ShutdownCancel = true;
                op.CancelRequested = true;
                op.CancelSubmitted = true;
                _engine.Cancel(op);
            }
        }
    }

    private sealed record CancelRequest(UringWorker Worker, ulong UserData);
}
