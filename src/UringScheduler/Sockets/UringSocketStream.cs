namespace UringScheduler;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="UringSocket"/>: reads are receives, writes are sends (in full). The
/// synchronous members block the caller until the ring has answered, and refuse to run on a worker, where blocking
/// would stop the very loop that must answer.
/// </summary>
internal sealed class UringSocketStream(UringSocket socket) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        socket.ReceiveAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await socket.SendAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        ThrowIfOnWorker();
        return socket.ReceiveAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    // A span cannot be handed to the ring (it must stay pinned across the wait), so the bytes go through a pooled array.
    public override int Read(Span<byte> buffer)
    {
        ThrowIfOnWorker();
        byte[] temporary = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = socket.ReceiveAsync(temporary.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            temporary.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(temporary);
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ThrowIfOnWorker();
        socket.SendAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => socket.DisposeAsync();

    private static void ThrowIfOnWorker()
    {
        if (UringWorker.Current is not null)
        {
            throw new InvalidOperationException("A blocking read or write on a UringSocket stream would stop the worker that must complete it; use ReadAsync/WriteAsync on a worker.");
        }
    }
}
