namespace UringScheduler.Operations;

/// <summary>
/// What an operation needs from the worker that runs it, and nothing more: taking it back when it is done, cancelling
/// it, and the registered buffers its ring can address by index. Implemented by the worker, one layer up.
/// </summary>
internal interface IOperationOwner
{
    /// <summary>The buffer pool registered in the owner's ring (READ_FIXED/WRITE_FIXED apply to its buffers), or null.</summary>
    UringBufferPool? RegisteredBuffers { get; }

    /// <summary>Takes back a pooled operation whose outcome was read. Owner thread only.</summary>
    void Return(IoOperation operation);

    /// <summary>Counts the result of a socket request that completed (connections accepted, bytes received or sent). Owner thread.</summary>
    void CountSocketTraffic(SocketTraffic kind, int amount);

    /// <summary>Whether the calling thread is the owner's.</summary>
    bool IsOwnerThread { get; }

    /// <summary>Runs <paramref name="callback"/> on the owner's thread; false when the owner no longer runs anything. Any thread.</summary>
    bool PostToOwner(Action<object?> callback, object? state);

    /// <summary>Cancels the operation known as <paramref name="userData"/> if it is still in flight. Any thread.</summary>
    void RequestCancel(ulong userData);

    /// <summary>The error that ends a request the owner's disposal cut short in the kernel. Owner thread, shutdown only.</summary>
    Exception CreateShutdownError();
}
