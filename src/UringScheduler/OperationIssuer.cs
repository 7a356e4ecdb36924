using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// The one sequence that turns a validated public call into a request on a worker's ring: claim the file, rent an
/// operation of the request's kind, address the file, apply the typed request, arm the token and the linked timeout,
/// submit. Argument checks, a token cancelled before the call and the shape of the returned task stay with each
/// public method, which mirror different .NET APIs.
/// </summary>
internal static class OperationIssuer
{
    /// <summary>The worker that serves a call made on this thread: this worker, else one of the ambient runtime.</summary>
    public static UringWorker ResolveWorker() => UringWorker.Current ?? ResolveAmbientWorker();

    /// <summary>Issues <paramref name="request"/> on <paramref name="worker"/>; returns the operation to await.</summary>
    /// <exception cref="ObjectDisposedException">The handle is closed, or the runtime is shutting down.</exception>
    public static TOperation Issue<TOperation, TRequest>(UringWorker worker, in OperationTarget target, in TRequest request, CancellationToken cancellationToken, long linkTimeoutNanoseconds = 0)
        where TOperation : IoOperation, new()
        where TRequest : struct, IOperationRequest<TOperation>
    {
        FileClaim claim = target.Claim(worker);
        TOperation op;
        try
        {
            op = worker.Rent<TOperation>(OperationKind<TOperation>.Index);
        }
        catch
        {
            claim.Release();
            throw;
        }

        claim.AddressTo(op);
        try
        {
            request.ApplyTo(op);
        }
        catch
        {
            // Pinning a buffer can throw (a disposed MemoryManager, say): the handle reference and the pins taken so
            // far must not stay held by an operation nobody will ever complete.
            op.Abandon();
            throw;
        }

        target.RouteTo(op);
        op.SetCancellationToken(cancellationToken);
        if (linkTimeoutNanoseconds > 0)
        {
            op.SetLinkTimeout(linkTimeoutNanoseconds);
        }

        worker.Submit(op);
        return op;
    }

    private static UringWorker ResolveAmbientWorker()
    {
        UringRuntime? runtime = UringRuntime.Ambient;
        if (runtime is null)
        {
            ThrowHelper.ThrowInvalidOperationException_NoRuntime();
        }

        return runtime.NextWorker();
    }
}
