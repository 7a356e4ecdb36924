using Microsoft.Win32.SafeHandles;

namespace UringScheduler;

/// <summary>STUB: replaced by the RandomAccess mirror.</summary>
public static class UringRandomAccess
{
    /// <summary>Reads.</summary>
    public static ValueTask<int> ReadAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Reads.</summary>
    public static ValueTask<long> ReadAsync(SafeFileHandle handle, IReadOnlyList<Memory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Writes.</summary>
    public static ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Writes.</summary>
    public static ValueTask WriteAsync(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Flushes.</summary>
    public static ValueTask FlushToDiskAsync(SafeFileHandle handle, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
