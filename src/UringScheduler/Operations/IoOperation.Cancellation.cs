using UringScheduler.Native;

namespace UringScheduler.Operations;

// Cancellation of a request in flight: the caller's token, the runtime's shutdown, or the fallback's emulated linked
// timeout. The owner turns a cancel into IORING_OP_ASYNC_CANCEL (or its engine's equivalent); the request still ends
// through its own completion, so nothing it borrowed is released early.
internal abstract partial class IoOperation
{
    private static readonly Action<object?> s_onTokenCanceled = static s =>
    {
        var op = (IoOperation)s!;
        op._owner.RequestCancel(op.UserData);
    };

    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;
    private bool _timedOut;

    /// <summary>A cancel was asked for (token, shutdown or timeout); an ECANCELED result then means cancelled.</summary>
    internal bool CancelRequested { get; private set; }

    /// <summary>A cancel has been handed to the engine; a second one would find nothing to cancel.</summary>
    internal bool CancelSubmitted { get; private set; }

    /// <summary>The cancel came from the runtime shutting down.</summary>
    internal bool ShutdownCancel { get; private set; }

    internal void SetCancellationToken(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    /// <summary>Hooks the token up to cancel the request in the kernel. Called by the owner right after submission.</summary>
    internal void RegisterCancellation()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            // The registration is disposed before the operation can be reused, and disposal waits for a callback
            // already running, so UserData still names this incarnation inside the callback.
            _registration = _cancellationToken.UnsafeRegister(s_onTokenCanceled, this);
        }
    }

    /// <summary>Marks the request as being cancelled; false when a cancel was already submitted.</summary>
    internal bool TryBeginCancel(bool shutdown)
    {
        if (CancelSubmitted)
        {
            return false;
        }

        CancelRequested = true;
        CancelSubmitted = true;
        ShutdownCancel = shutdown;
        return true;
    }

    /// <summary>The fallback engine's linked timeout fired and it is cancelling the request; false when a cancel was already submitted.</summary>
    internal bool TryBeginTimeout()
    {
        if (CancelSubmitted)
        {
            return false;
        }

        CancelSubmitted = true;
        _timedOut = true;
        return true;
    }

    /// <summary>
    /// Whether the shutdown's cancel ended the request (the kernel gave ECANCELED or EINTR), rather than the request
    /// completing first. Read on the owner's thread before <see cref="Complete"/>.
    /// </summary>
    internal bool EndedByShutdown => ShutdownCancel && !_cancellationToken.IsCancellationRequested && _kernelResult is -Errno.ECANCELED or -Errno.EINTR;

    // The caller's token wins. A request cut short by the runtime's disposal ends as everything else the disposal
    // refuses or cuts short does: ObjectDisposedException, whether it was in the kernel or still on its way there.
    private Exception CreateCanceledError() =>
        _cancellationToken.IsCancellationRequested
            ? new OperationCanceledException(_cancellationToken)
            : ShutdownCancel
                ? _owner.CreateShutdownError()
                : new OperationCanceledException();

    private void EndCancellation()
    {
        _registration.Dispose();
        _registration = default;
    }

    private void ResetCancellation()
    {
        _cancellationToken = default;
        CancelRequested = false;
        CancelSubmitted = false;
        ShutdownCancel = false;
        _timedOut = false;
    }
}
