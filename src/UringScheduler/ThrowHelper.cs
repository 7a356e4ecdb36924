using System.Diagnostics.CodeAnalysis;

namespace UringScheduler;

/// <summary>Cold throws, kept out of line so the hot paths that call them stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_OperationNotCompleted() =>
        throw new InvalidOperationException("The operation has not completed yet; await it instead of reading its result.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_TokenMismatch() =>
        throw new InvalidOperationException("The ValueTask was already consumed: a ValueTask from UringScheduler may be awaited only once.");

    [DoesNotReturn]
    internal static void ThrowObjectDisposedException_Runtime() =>
        throw new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime is shutting down or disposed and accepts no new work.");

    [DoesNotReturn]
    internal static void ThrowArgumentOutOfRangeException_Delay(TimeSpan delay) =>
        throw new ArgumentOutOfRangeException(nameof(delay), delay,
            "The delay must be Timeout.InfiniteTimeSpan or from 0 to 4294967294 milliseconds, as for Task.Delay.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_NoRuntime() =>
        throw new InvalidOperationException(
            "No UringRuntime is running. Create one (new UringRuntime(options)) or register it in a host with " +
            "services.AddUringScheduler(), and keep it alive while I/O is issued.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_NotOnSocketWorker() =>
        throw new InvalidOperationException("Leased receives run on the socket's worker: call ReceiveBufferAsync from code running on UringSocket.Worker.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_ReceivePending() =>
        throw new InvalidOperationException("Another ReceiveBufferAsync call on this socket is still waiting; receive one at a time.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_SocketReceivesLeased() =>
        throw new InvalidOperationException("This socket receives into leased buffers (ReceiveBufferAsync was called on it); ReceiveAsync cannot be mixed with them.");

    [DoesNotReturn]
    internal static void ThrowInvalidOperationException_DisposeOnWorker() =>
        throw new InvalidOperationException("A UringRuntime cannot be disposed from one of its own workers: the worker would wait for itself. Dispose it from another thread.");
}
