using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Files;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// A drop-in for the async methods of <see cref="RandomAccess"/> that runs on io_uring: same inputs, same results,
/// same exceptions, but no ThreadPool hop. On a worker thread the operation goes to that worker's ring and the caller
/// resumes inline on the worker; on any other thread it goes to a worker of the ambient runtime (the first created and
/// not yet disposed) and the caller resumes in its own context.
/// </summary>
/// <remarks>
/// Beyond .NET 10's <see cref="RandomAccess"/>, unseekable handles (pipes, FIFOs, character devices) are accepted,
/// as in .NET 11: the offset must still be non-negative and is ignored. Cancelling the token while an operation is in
/// flight cancels it in the kernel; the caller's buffer stays pinned until the kernel has released it.
/// </remarks>
public static class UringRandomAccess
{
    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="fileOffset"/>.</summary>
    /// <returns>The bytes read: fewer than asked when the kernel returns a short count, 0 at or past end of file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">Called outside a worker while no runtime is alive.</exception>
    /// <exception cref="UnauthorizedAccessException">The handle is not open for reading (awaited).</exception>
    /// <exception cref="IOException">The kernel reported an error (awaited); HResult is the errno.</exception>
    public static ValueTask<int> ReadAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        ReadAsync(handle, buffer, fileOffset, (UringIoClass?)null, cancellationToken);

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="fileOffset"/> as I/O of <paramref name="ioClass"/> (see <see cref="UringIoClass"/>; null is <see cref="UringIoClass.Foreground"/>).</summary>
    /// <returns>The bytes read: fewer than asked when the kernel returns a short count, 0 at or past end of file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    public static ValueTask<int> ReadAsync(SafeFileHandle handle, Memory<byte> buffer, long fileOffset, UringIoClass? ioClass, CancellationToken cancellationToken = default)
    {
        ValidateInput(handle, fileOffset);
        FileProfile profile = FileProfile.Of(handle);
        if (profile.DirectAlignment is DirectIoAlignment alignment)
        {
            Files.DirectIo.Validate(alignment, buffer, fileOffset);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return OperationIssuer.Issue<ReadOperation, ReadRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(handle, profile, ioClass), new ReadRequest(buffer, fileOffset), cancellationToken)
            .AsValueTaskOfInt();
    }

    /// <summary>
    /// Reads into <paramref name="buffers"/>, in order, from <paramref name="fileOffset"/> with one vectored read. At most
    /// 1024 buffers are filled by one call (the kernel's limit); the count may be short.
    /// </summary>
    /// <returns>The total bytes read.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> or <paramref name="buffers"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    public static ValueTask<long> ReadAsync(SafeFileHandle handle, IReadOnlyList<Memory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default)
    {
        ValidateInput(handle, fileOffset);
        ArgumentNullException.ThrowIfNull(buffers);
        FileProfile profile = FileProfile.Of(handle);
        if (profile.DirectAlignment is DirectIoAlignment alignment)
        {
            ValidateSegments(alignment, buffers, fileOffset);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        return OperationIssuer.Issue<ReadVectorOperation, ReadVectorRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(handle, profile, null), new ReadVectorRequest(buffers, fileOffset), cancellationToken)
            .AsValueTaskOfLong();
    }

    /// <summary>Writes all of <paramref name="buffer"/> at <paramref name="fileOffset"/>, resubmitting the rest after a short write. Writing past the end extends the file.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    /// <exception cref="UnauthorizedAccessException">The handle is not open for writing (awaited).</exception>
    public static ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        WriteAsync(handle, buffer, fileOffset, (UringIoClass?)null, cancellationToken);

    /// <summary>Writes all of <paramref name="buffer"/> at <paramref name="fileOffset"/> as I/O of <paramref name="ioClass"/> (see <see cref="UringIoClass"/>; null is <see cref="UringIoClass.Foreground"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    public static ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, UringIoClass? ioClass, CancellationToken cancellationToken = default)
    {
        ValidateInput(handle, fileOffset);
        FileProfile profile = FileProfile.Of(handle);
        if (!buffer.IsEmpty && profile.DirectAlignment is DirectIoAlignment alignment)
        {
            Files.DirectIo.Validate(alignment, buffer, fileOffset);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        return OperationIssuer.Issue<WriteOperation, WriteRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(handle, profile, ioClass), new WriteRequest(buffer, fileOffset), cancellationToken)
            .AsValueTask();
    }

    /// <summary>Writes all of <paramref name="buffers"/>, in order, from <paramref name="fileOffset"/>: vectored writes of at most 1024 buffers each, looping until everything is written.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> or <paramref name="buffers"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    public static ValueTask WriteAsync(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long fileOffset, CancellationToken cancellationToken = default)
    {
        ValidateInput(handle, fileOffset);
        ArgumentNullException.ThrowIfNull(buffers);
        FileProfile profile = FileProfile.Of(handle);
        if (profile.DirectAlignment is DirectIoAlignment alignment)
        {
            ValidateSegments(alignment, buffers, fileOffset);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (!HasBytes(buffers))
        {
            return ValueTask.CompletedTask;
        }

        return OperationIssuer.Issue<WriteVectorOperation, WriteVectorRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(handle, profile, null), new WriteVectorRequest(buffers, fileOffset), cancellationToken)
            .AsValueTask();
    }

    /// <summary>
    /// Flushes the file's data and metadata to the storage device (<c>fsync</c>), as <see cref="RandomAccess.FlushToDisk"/>
    /// does; handles that cannot be synced (pipes, character devices) complete without error, as there.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    public static ValueTask FlushToDiskAsync(SafeFileHandle handle, CancellationToken cancellationToken = default)
    {
        ValidateInput(handle, 0);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return OperationIssuer.Issue<SyncOperation, SyncRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(handle, FileProfile.Of(handle), null), new SyncRequest(dataOnly: false), cancellationToken)
            .AsValueTask();
    }

    // Same checks, order and exceptions as System.IO.RandomAccess, except that unseekable handles are accepted.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ValidateInput(SafeFileHandle handle, long fileOffset)
    {
        if (handle is null || handle.IsInvalid || handle.IsClosed || fileOffset < 0)
        {
            ThrowInvalidInput(handle, fileOffset);
        }
    }

    private static void ThrowInvalidInput(SafeFileHandle? handle, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsInvalid)
        {
            throw new ArgumentException("Invalid handle.", nameof(handle));
        }

        if (handle.IsClosed)
        {
            throw new ObjectDisposedException(null, "Cannot access a closed file.");
        }

        throw new ArgumentOutOfRangeException(nameof(fileOffset), "Non-negative number required.");
    }

    // O_DIRECT applies to every segment of a vectored request: each address and length aligned, and each segment's
    // file position (the offset plus the lengths before it) too.
    private static void ValidateSegments(DirectIoAlignment alignment, IReadOnlyList<Memory<byte>> buffers, long fileOffset)
    {
        long position = fileOffset;
        for (int i = 0; i < buffers.Count; i++)
        {
            position = ValidateSegment(alignment, buffers[i], position);
        }
    }

    private static void ValidateSegments(DirectIoAlignment alignment, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long fileOffset)
    {
        long position = fileOffset;
        for (int i = 0; i < buffers.Count; i++)
        {
            position = ValidateSegment(alignment, buffers[i], position);
        }
    }

    private static long ValidateSegment(DirectIoAlignment alignment, ReadOnlyMemory<byte> segment, long position)
    {
        if (segment.IsEmpty)
        {
            return position;
        }

        Files.DirectIo.Validate(alignment, segment, position);
        return position + segment.Length;
    }

    private static bool HasBytes(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        for (int i = 0; i < buffers.Count; i++)
        {
            if (!buffers[i].IsEmpty)
            {
                return true;
            }
        }

        return false;
    }
}
