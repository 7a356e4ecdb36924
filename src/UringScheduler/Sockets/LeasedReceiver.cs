using UringScheduler.Native;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// The receive side of one socket that receives into leased buffers. With a provided buffer ring, one multishot
/// receive stays armed: data that arrives while nobody waits is queued (each piece in its own buffer) and handed out by
/// the next call, so the socket costs no submission per receive. When the ring runs dry the kernel stops the receive
/// (<c>-ENOBUFS</c>); it is armed again when a lease comes back, never on a timer. Without a ring (the fallback, or a
/// kernel before 6.0), each call that finds nothing queued takes a free buffer and submits one receive into it.
/// </summary>
/// <remarks>Everything here runs on the socket's worker, except <see cref="OnSocketDisposed"/>, which hands over to it.</remarks>
internal sealed class LeasedReceiver : IMultishotReceiveSink, IReceiveBufferWaiter
{
    private static readonly Action<object?, CancellationToken> s_onTokenCanceled = static (s, _) => ((LeasedReceiver)s!).OnTokenCanceled();
    private static readonly Action<object?> s_cancelWaitOnOwner = static s => ((LeasedReceiver)s!).CancelWaitIfRequested();
    private static readonly Action<object?> s_disposeOnOwner = static s => ((LeasedReceiver)s!).DisposeOnOwner();

    private readonly UringSocket _socket;
    private readonly SocketHandle _handle;
    private readonly UringWorker _worker;
    private readonly IOperationOwner _owner;
    private readonly ReceiveBufferGroup _group;
    private readonly ReceiveWait _wait;
    private readonly Queue<Received> _ready = new();
    private readonly Action _onMultishotEnded;
    private readonly Action _onSingleShotEnded;
    private readonly Action _onReadable;

    private IoOperation? _inFlight;
    private ValueTask<int> _inFlightTask;
    private ushort _singleShotBuffer;
    private bool _starved;
    private bool _endOfStream;
    private Exception? _error;
    private bool _disposed;

    private bool _waiting;
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _waitRegistration;

    public LeasedReceiver(UringSocket socket, SocketHandle handle, UringWorker worker)
    {
        _socket = socket;
        _handle = handle;
        _worker = worker;
        _owner = worker;
        _group = worker.ReceiveBuffers;
        _wait = new ReceiveWait(_group);
        _onMultishotEnded = OnMultishotEnded;
        _onSingleShotEnded = OnSingleShotEnded;
        _onReadable = OnReadable;
    }

    /// <summary>The next data received, queued or awaited. Worker thread only.</summary>
    public ValueTask<UringReceivedBuffer> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_waiting)
        {
            ThrowHelper.ThrowInvalidOperationException_ReceivePending();
        }

        if (_ready.TryDequeue(out Received received))
        {
            return new ValueTask<UringReceivedBuffer>(new UringReceivedBuffer(_group, received.BufferId, received.Length));
        }

        if (_error is not null)
        {
            return ValueTask.FromException<UringReceivedBuffer>(_error);
        }

        if (_endOfStream)
        {
            return default;
        }

        if (_inFlight is null && !_starved)
        {
            StartReceiving();
            if (_error is not null)
            {
                return ValueTask.FromException<UringReceivedBuffer>(_error);
            }
        }

        _waiting = true;
        _waitToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _waitRegistration = cancellationToken.UnsafeRegister(s_onTokenCanceled, this);
        }

        return _wait.Task;
    }

    /// <summary>The socket was disposed: queued data goes back, a waiting call ends, the receive in flight is cancelled. Any thread.</summary>
    public void OnSocketDisposed()
    {
        if (_owner.IsOwnerThread)
        {
            DisposeOnOwner();
        }
        else if (!_owner.PostToOwner(s_disposeOnOwner, this))
        {
            // The worker no longer runs anything: it ended the receive itself when it stopped, and nothing else touches
            // this receiver now. Queued buffers go back to the closed group, which frees its memory with the last one.
            _disposed = true;
            ReturnQueued();
        }
    }

    void IMultishotReceiveSink.OnReceived(ushort bufferId, int length)
    {
        _group.OnKernelPicked(bufferId);
        Deliver(bufferId, length);
    }

    bool IReceiveBufferWaiter.OnBufferAvailable()
    {
        if (_disposed || !_starved)
        {
            return false;
        }

        _starved = false;
        if (_group.IsKernelRing)
        {
            StartReceiving();
        }
        else
        {
            // The socket was readable when it ran out: straight to the receive.
            try
            {
                ReceiveIntoFreeBuffer();
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        return true;
    }

    private void StartReceiving()
    {
        try
        {
            if (_group.IsKernelRing)
            {
                ArmMultishot();
            }
            else
            {
                StartSingleShot();
            }
        }
        catch (Exception e)
        {
            // The runtime is shutting down or the descriptor is gone: the stream ends with that error.
            Fail(e);
        }
    }

    private void ArmMultishot()
    {
        MultishotReceiveOperation op = OperationIssuer.Issue<MultishotReceiveOperation, MultishotReceiveRequest>(
            _worker, new OperationTarget(_handle), new MultishotReceiveRequest(this, _group.GroupId), CancellationToken.None);
        Track(op, op.AsValueTaskOfInt(), _onMultishotEnded);
    }

    // Without a kernel ring a buffer is taken only once the socket is readable, so that idle connections hold none:
    // first a poll, then a receive into a buffer taken from the free list.
    private void StartSingleShot()
    {
        PollOperation poll = OperationIssuer.Issue<PollOperation, PollRequest>(
            _worker, new OperationTarget(_handle), new PollRequest(_socket), CancellationToken.None);
        Track(poll, poll.AsValueTaskOfInt(), _onReadable);
    }

    private void OnReadable()
    {
        _ = TakeResult(out Exception? error);
        if (EndIfSocketDisposed())
        {
            return;
        }

        if (error is not null)
        {
            Fail(error);
            return;
        }

        try
        {
            ReceiveIntoFreeBuffer();
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void ReceiveIntoFreeBuffer()
    {
        if (!_group.TryTake(out ushort bufferId))
        {
            RunOutOfBuffers();
            return;
        }

        ReceiveOperation op;
        try
        {
            op = OperationIssuer.Issue<ReceiveOperation, ReceiveRequest>(
                _worker, new OperationTarget(_handle), new ReceiveRequest(_socket, _group.MemoryOf(bufferId)), CancellationToken.None);
        }
        catch
        {
            _group.Return(bufferId, _group.GenerationOf(bufferId));
            throw;
        }

        _singleShotBuffer = bufferId;
        Track(op, op.AsValueTaskOfInt(), _onSingleShotEnded);
    }

    private void Track(IoOperation op, ValueTask<int> task, Action onEnded)
    {
        _inFlight = op;
        _inFlightTask = task;

        // Resumes on this worker, inline in the completion drain: the worker's context is current here.
        task.GetAwaiter().UnsafeOnCompleted(onEnded);
    }

    private int TakeResult(out Exception? error)
    {
        ValueTask<int> task = _inFlightTask;
        _inFlight = null;
        _inFlightTask = default;
        try
        {
            error = null;
            return task.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            error = e;
            return 0;
        }
    }

    private void OnMultishotEnded()
    {
        int result = TakeResult(out Exception? error);
        if (EndIfSocketDisposed())
        {
            return;
        }

        if (error is not null)
        {
            Fail(error);
        }
        else if (result > 0)
        {
            // Stopped after data (a completion queue overflow, say): nothing is wrong, it goes on.
            StartReceiving();
        }
        else if (result == 0)
        {
            EndOfStream();
        }
        else if (-result == Errno.ENOBUFS)
        {
            CountExhaustion();
            if (_group.HasFree)
            {
                StartReceiving();
            }
            else
            {
                RunOutOfBuffers();
            }
        }
        else if (-result == Errno.ECANCELED)
        {
            // Only the runtime's disposal cancels it while the socket is open; what disposal cuts short ends with
            // ObjectDisposedException, as every operation in flight does.
            Fail(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime was disposed while the receive was armed; it was cancelled in the kernel."));
        }
        else
        {
            Fail(SocketErrors.FromErrno(-result));
        }
    }

    private void OnSingleShotEnded()
    {
        ushort bufferId = _singleShotBuffer;
        int received = TakeResult(out Exception? error);
        if (error is not null || received == 0 || EndIfSocketDisposed())
        {
            _group.Return(bufferId, _group.GenerationOf(bufferId));
            if (EndIfSocketDisposed())
            {
                return;
            }

            if (error is not null)
            {
                Fail(error);
            }
            else
            {
                EndOfStream();
            }

            return;
        }

        Deliver(bufferId, received);
    }

    private void RunOutOfBuffers()
    {
        if (!_group.IsKernelRing)
        {
            CountExhaustion(); // the kernel ring's exhaustions are counted as the kernel reports them
        }

        _starved = true;
        _group.WaitForBuffer(this);
    }

    private void CountExhaustion()
    {
        _group.CountExhaustion();
        _worker.OnReceiveBuffersExhausted();
    }

    private void Deliver(ushort bufferId, int length)
    {
        if (EndIfSocketDisposed())
        {
            _group.Return(bufferId, _group.GenerationOf(bufferId));
            return;
        }

        if (_waiting)
        {
            EndWait();
            _wait.Complete(ReceiveWait.Received(bufferId, length));
        }
        else
        {
            _ready.Enqueue(new Received(bufferId, length));
        }
    }

    private void EndOfStream()
    {
        _endOfStream = true;
        if (_waiting)
        {
            EndWait();
            _wait.Complete(ReceiveWait.EndOfStream);
        }
    }

    private void Fail(Exception error)
    {
        _error = error;
        if (_waiting)
        {
            EndWait();
            _wait.Fail(error);
        }
    }

    private void EndWait()
    {
        _waiting = false;
        _waitToken = default;
        _waitRegistration.Dispose();
        _waitRegistration = default;
    }

    private void OnTokenCanceled()
    {
        if (_owner.IsOwnerThread)
        {
            CancelWaitIfRequested();
        }
        else
        {
            _ = _owner.PostToOwner(s_cancelWaitOnOwner, this);
        }
    }

    // Cancelling a call ends the wait only: the receive stays armed and what arrives is queued for the next call, so
    // no data is lost to a cancellation.
    private void CancelWaitIfRequested()
    {
        if (_waiting && _waitToken.IsCancellationRequested)
        {
            CancellationToken token = _waitToken;
            EndWait();
            _wait.Fail(new OperationCanceledException(token));
        }
    }

    // The socket may have been disposed on another thread, whose hand-over has not run yet: what the kernel reports
    // after that (the end of stream that shutting the socket down causes, say) must not reach the caller as data.
    private bool EndIfSocketDisposed()
    {
        if (!_disposed && ((ISocketState)_socket).IsDisposed)
        {
            DisposeOnOwner();
        }

        return _disposed;
    }

    private void DisposeOnOwner()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ReturnQueued();

        if (_waiting)
        {
            EndWait();
            _wait.Fail(new ObjectDisposedException(typeof(UringSocket).FullName));
        }

        if (_inFlight is IoOperation op)
        {
            _owner.RequestCancel(op.UserData);
        }
    }

    private void ReturnQueued()
    {
        while (_ready.TryDequeue(out Received received))
        {
            _group.Return(received.BufferId, _group.GenerationOf(received.BufferId));
        }
    }

    private readonly record struct Received(ushort BufferId, int Length);
}
