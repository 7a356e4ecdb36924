using UringScheduler.Diagnostics;
using UringScheduler.Engines;
using UringScheduler.IoScheduling;
using UringScheduler.Operations;
using UringScheduler.Scheduling;

namespace UringScheduler;

// Operation life cycle on the worker: rent, submit, cancel, complete, return. The worker is the operations' owner
// (IOperationOwner) and the engine's host (IEngineHost): the lower layers reach it only through those two interfaces.
public sealed partial class UringWorker : IOperationOwner, IEngineHost, IDeviceDispatcher
{
    private static readonly Action<object?> s_submitPosted = static s =>
    {
        var op = (IoOperation)s!;
        ((UringWorker)op.Owner).SubmitOnWorker(op);
    };

    private static readonly Action<object?> s_cancelPosted = static s =>
    {
        var request = (CancelRequest)s!;
        request.Worker.CancelNow(request.UserData);
    };

    private readonly OperationPool _operationPool;
    private long _operationsCompleted;
    private long _canceledAtShutdown;
    private long _completedAtShutdown;
    private long _fixedBufferOperations;
    private long _fixedFileOperations;
    private long _connectionsAccepted;
    private long _socketBytesReceived;
    private long _socketBytesSent;

    /// <summary>Operations completed by this worker since it started.</summary>
    internal long OperationsCompleted => Volatile.Read(ref _operationsCompleted);

    /// <summary>Operations that went out with READ_FIXED/WRITE_FIXED (a registered pool buffer).</summary>
    internal long FixedBufferOperations => Volatile.Read(ref _fixedBufferOperations);

    /// <summary>Operations that named their file by registered slot (IOSQE_FIXED_FILE).</summary>
    internal long FixedFileOperations => Volatile.Read(ref _fixedFileOperations);

    /// <summary>Connections accepted by this worker's ring.</summary>
    internal long ConnectionsAccepted => Volatile.Read(ref _connectionsAccepted);

    /// <summary>Bytes received by socket requests on this worker.</summary>
    internal long SocketBytesReceived => Volatile.Read(ref _socketBytesReceived);

    /// <summary>Bytes sent by socket requests on this worker.</summary>
    internal long SocketBytesSent => Volatile.Read(ref _socketBytesSent);

    /// <summary>
    /// Operations the shutdown ended with <see cref="ObjectDisposedException"/>: cancelled in the kernel, or refused on
    /// their way to it. Outcomes, not cancel attempts: one that completed before its cancel took effect is not counted.
    /// </summary>
    internal long CanceledAtShutdown => Volatile.Read(ref _canceledAtShutdown);

    /// <summary>Operations in flight when the shutdown began that completed anyway (the kernel finished before the cancel).</summary>
    internal long CompletedAtShutdown => Volatile.Read(ref _completedAtShutdown);

    /// <summary><c>io_uring_enter</c> calls made by this worker (0 on the fallback).</summary>
    internal long EnterCalls => _engine.EnterCalls;

    /// <summary>eventfd writes made by other threads to wake this worker.</summary>
    internal long WakeWrites => _engine.WakeWrites;

    /// <summary>Operations submitted and not yet completed.</summary>
    internal int OperationsInFlight => _slab.InFlight;

    UringBufferPool? IOperationOwner.RegisteredBuffers => _engine.RegisteredBuffers;

    int IEngineHost.WorkerId => Id;

    /// <summary>
    /// An operation of kind <typeparamref name="T"/> (numbered <paramref name="kind"/>, <see cref="OperationKind{T}.Index"/>)
    /// to fill in and submit to this worker: from the pool on the worker thread (no allocation), a fresh one elsewhere.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The runtime is shutting down.</exception>
    internal T Rent<T>(int kind)
        where T : IoOperation, new()
    {
        ThrowIfStopping();
        return IsCurrentThread ? _operationPool.Rent<T>(kind) : IoOperation.Create<T>(this, pooled: false);
    }

    void IOperationOwner.Return(IoOperation operation) => _operationPool.Return(operation);

    bool IOperationOwner.IsOwnerThread => IsCurrentThread;

    bool IOperationOwner.PostToOwner(Action<object?> callback, object? state) => TryEnqueue(new WorkItem(callback, state));

    Exception IOperationOwner.CreateShutdownError() =>
        new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime was disposed while the operation was in flight; it was cancelled in the kernel.");

    // Written only by this worker's thread (completions run here), read racily by the meter.
    void IOperationOwner.CountSocketTraffic(SocketTraffic kind, int amount)
    {
        switch (kind)
        {
            case SocketTraffic.ConnectionAccepted:
                _connectionsAccepted++;
                break;
            case SocketTraffic.BytesReceived:
                _socketBytesReceived += amount;
                break;
            default:
                _socketBytesSent += amount;
                break;
        }
    }

    /// <summary>Submits a filled operation. From another thread, it is handed to the worker, which submits it.</summary>
    internal void Submit(IoOperation op)
    {
        if (IsCurrentThread)
        {
            SubmitOnWorker(op);
        }
        else if (!TryEnqueueForeign(new WorkItem(s_submitPosted, op)))
        {
            // The worker has exited: nothing reached the kernel, so the operation can end here.
            Interlocked.Increment(ref _canceledAtShutdown);
            op.CompleteWithError(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime was disposed before the operation could be submitted."));
        }
    }

    private void SubmitOnWorker(IoOperation op)
    {
        if (_stopping)
        {
            Interlocked.Increment(ref _canceledAtShutdown);
            op.CompleteWithError(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime is shutting down and accepts no new operations."));
            return;
        }

        _slab.Add(op);
        if (op.Ticket.Device is not null && _ioScheduler is not null)
        {
            _ioScheduler.Submit(op);
        }
        else
        {
            _engine.Submit(op);
        }

        op.RegisterCancellation();
    }

    void IEngineHost.OnCompleted(IoOperation op)
    {
        _runningCallback = op;
        _runningState = null;
        _operationsCompleted++;
        if (op.UsesFixedBuffer)
        {
            _fixedBufferOperations++;
        }

        if (op.FixedFile >= 0)
        {
            _fixedFileOperations++;
        }

        if (op.ShutdownCancel)
        {
            if (op.EndedByShutdown)
            {
                _canceledAtShutdown++;
            }
            else
            {
                _completedAtShutdown++;
            }
        }

        if (op.Ticket.HoldsUnit)
        {
            _ioScheduler!.OnCompleted(op);
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

    void IEngineHost.OnExternalCompletion() => WakeIfSleeping();

    /// <summary>Cancels the operation known as <paramref name="userData"/>, if it is still in flight. Any thread.</summary>
    void IOperationOwner.RequestCancel(ulong userData)
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
        if (op is not null && op.TryBeginCancel(shutdown: false))
        {
            CancelBegun(op);
        }
    }

    private void CancelAllInFlight()
    {
        foreach (IoOperation op in _slab.Snapshot())
        {
            if (op.TryBeginCancel(shutdown: true))
            {
                CancelBegun(op);
            }
        }
    }

    // A request still waiting for device capacity never reached the kernel: it leaves the queue and ends here.
    private void CancelBegun(IoOperation op)
    {
        if (op.Ticket.Queued)
        {
            _ioScheduler!.Remove(op);
            _slab.Remove(op.UserData);
            op.SetUnsubmittedResult(-Native.Errno.ECANCELED);
            ((IEngineHost)this).OnCompleted(op);
        }
        else
        {
            _engine.Cancel(op);
        }
    }

    void IDeviceDispatcher.SubmitToEngine(IoOperation op) => _engine.Submit(op);

    int IDeviceDispatcher.WorkerId => Id;

    private int _ioNudgePending;

    private static readonly Action<object?> s_ioNudge = static s =>
    {
        var worker = (UringWorker)s!;
        Volatile.Write(ref worker._ioNudgePending, 0);
        worker._ioScheduler?.NudgeAll();
    };

    /// <summary>Asks the worker to serve its device queues: another worker gave capacity back. Any thread; coalesced.</summary>
    internal void NudgeIo()
    {
        if (Interlocked.Exchange(ref _ioNudgePending, 1) == 0 && !TryEnqueue(new WorkItem(s_ioNudge, this)))
        {
            Volatile.Write(ref _ioNudgePending, 0);
        }
    }

    private sealed record CancelRequest(UringWorker Worker, ulong UserData);
}
