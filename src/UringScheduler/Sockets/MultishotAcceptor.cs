using UringScheduler.Native;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// One worker's accepts on one listener, with a multishot accept (Linux 5.19): a single request stays armed on the
/// worker's ring and posts each connection as it is accepted; pending <see cref="UringListener.AcceptAsync"/> calls
/// take them in order, and connections accepted while nobody waits are queued for the next call. So that a worker
/// that stops accepting does not keep taking connections other workers could serve, the request is cancelled when
/// <see cref="MaxQueued"/> connections wait, and armed again when a call finds the queue empty.
/// </summary>
/// <remarks>Worker thread only, except <see cref="OnListenerDisposed"/>, which hands over to it.</remarks>
internal sealed class MultishotAcceptor : IMultishotAcceptSink
{
    /// <summary>Connections accepted ahead of the calls that take them, at most.</summary>
    public const int MaxQueued = 16;

    private static readonly Action<object?, CancellationToken> s_onTokenCanceled = static (s, _) =>
    {
        var wait = (AcceptWait)s!;
        wait.Owner.OnTokenCanceled(wait);
    };

    private static readonly Action<object?> s_cancelOnOwner = static s =>
    {
        var wait = (AcceptWait)s!;
        wait.Owner.CancelWaitIfRequested(wait);
    };

    private static readonly Action<object?> s_disposeOnOwner = static s => ((MultishotAcceptor)s!).DisposeOnOwner();

    private readonly UringListener _listener;
    private readonly SocketHandle _handle;
    private readonly UringWorker _worker;
    private readonly IOperationOwner _owner;
    private readonly Queue<int> _ready = new();
    private readonly List<AcceptWait> _waiters = [];
    private readonly Stack<AcceptWait> _pool = new();
    private readonly Action _onEnded;
    private IoOperation? _inFlight;
    private ValueTask<int> _inFlightTask;
    private bool _stoppedForFullQueue;
    private bool _disposed;

    public MultishotAcceptor(UringListener listener, SocketHandle handle, UringWorker worker)
    {
        _listener = listener;
        _handle = handle;
        _worker = worker;
        _owner = worker;
        _onEnded = OnEnded;
    }

    /// <summary>The next connection accepted by this worker. Worker thread only.</summary>
    public ValueTask<UringSocket> AcceptAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return ValueTask.FromException<UringSocket>(new ObjectDisposedException(typeof(UringListener).FullName));
        }

        if (_ready.TryDequeue(out int fd))
        {
            return new ValueTask<UringSocket>(Adopt(fd));
        }

        if (_inFlight is null)
        {
            try
            {
                Arm();
            }
            catch (Exception e)
            {
                return ValueTask.FromException<UringSocket>(e);
            }
        }

        AcceptWait wait = _pool.TryPop(out AcceptWait? pooled) ? pooled : new AcceptWait(this);
        ValueTask<UringSocket> task = wait.Start(cancellationToken);
        _waiters.Add(wait);
        if (cancellationToken.CanBeCanceled)
        {
            wait.Registration = cancellationToken.UnsafeRegister(s_onTokenCanceled, wait);
        }

        return task;
    }

    private void Arm()
    {
        MultishotAcceptOperation op = OperationIssuer.Issue<MultishotAcceptOperation, MultishotAcceptRequest>(
            _worker, new OperationTarget(_handle), new MultishotAcceptRequest(this), CancellationToken.None);
        _inFlight = op;
        _inFlightTask = op.AsValueTaskOfInt();

        // Resumes on this worker, inline in the completion drain: the worker's context is current here.
        _inFlightTask.GetAwaiter().UnsafeOnCompleted(_onEnded);
    }

    /// <summary>The listener was disposed: queued connections are closed, waits end, the accept is cancelled. Any thread.</summary>
    public void OnListenerDisposed()
    {
        if (_owner.IsOwnerThread)
        {
            DisposeOnOwner();
        }
        else if (!_owner.PostToOwner(s_disposeOnOwner, this))
        {
            // The worker no longer runs anything (it ended the accept when it stopped) and nothing else touches this
            // acceptor now: the connections it had queued are closed here.
            DisposeOnOwner();
        }
    }

    internal UringSocket Adopt(int fd) => UringSocket.Adopt(fd, _worker, _listener.LocalEndPoint);

    internal void ReturnWait(AcceptWait wait) => _pool.Push(wait);

    void IMultishotAcceptSink.OnAccepted(int fd) => Deliver(fd);

    private void Deliver(int fd)
    {
        if (_disposed)
        {
            Interop.Libc.Close(fd);
            return;
        }

        if (_waiters.Count > 0)
        {
            AcceptWait wait = _waiters[0];
            _waiters.RemoveAt(0);
            EndRegistration(wait);
            wait.Complete(fd);
            return;
        }

        _ready.Enqueue(fd);
        if (_ready.Count >= MaxQueued && _inFlight is IoOperation op && !_stoppedForFullQueue)
        {
            _stoppedForFullQueue = true;
            _owner.RequestCancel(op.UserData);
        }
    }

    private void OnEnded()
    {
        ValueTask<int> task = _inFlightTask;
        _inFlight = null;
        _inFlightTask = default;
        int result;
        try
        {
            result = task.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            FailAll(e);
            return;
        }

        bool queueFull = _stoppedForFullQueue;
        _stoppedForFullQueue = false;
        if (result >= 0)
        {
            Deliver(result); // it stopped after one more connection
        }
        else if (_disposed)
        {
            return;
        }
        else if (-result == Errno.ECANCELED && !queueFull)
        {
            FailAll(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime was disposed while the accept was armed; it was cancelled in the kernel."));
            return;
        }
        else if (-result != Errno.ECANCELED && _waiters.Count > 0)
        {
            // Out of descriptors, say: the call that waited longest gets the error, as a single accept would.
            AcceptWait wait = _waiters[0];
            _waiters.RemoveAt(0);
            EndRegistration(wait);
            wait.Fail(SocketErrors.FromErrno(-result));
        }

        if (_waiters.Count > 0 && !_disposed && _inFlight is null)
        {
            try
            {
                Arm();
            }
            catch (Exception e)
            {
                FailAll(e);
            }
        }
    }

    private void OnTokenCanceled(AcceptWait wait)
    {
        if (_owner.IsOwnerThread)
        {
            CancelWaitIfRequested(wait);
        }
        else
        {
            _ = _owner.PostToOwner(s_cancelOnOwner, wait);
        }
    }

    // Cancelling a call ends its wait only: the accept stays armed and a connection it takes goes to the next call.
    private void CancelWaitIfRequested(AcceptWait wait)
    {
        int index = _waiters.IndexOf(wait);
        if (index >= 0 && wait.Token.IsCancellationRequested)
        {
            CancellationToken token = wait.Token;
            _waiters.RemoveAt(index);
            EndRegistration(wait);
            wait.Fail(new OperationCanceledException(token));
        }
    }

    private void FailAll(Exception error)
    {
        List<AcceptWait> waiting = [.. _waiters];
        _waiters.Clear();
        foreach (AcceptWait wait in waiting)
        {
            EndRegistration(wait);
            wait.Fail(error);
        }
    }

    private static void EndRegistration(AcceptWait wait)
    {
        wait.Registration.Dispose();
        wait.Registration = default;
    }

    private void DisposeOnOwner()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_ready.TryDequeue(out int fd))
        {
            Interop.Libc.Close(fd);
        }

        FailAll(new ObjectDisposedException(typeof(UringListener).FullName));
        if (_inFlight is IoOperation op)
        {
            _owner.RequestCancel(op.UserData);
        }
    }
}
