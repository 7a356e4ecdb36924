namespace UringScheduler;

/// <summary>
/// Data received by <see cref="UringSocket.ReceiveBufferAsync"/>, in a receive buffer lent by the socket's worker.
/// Read it through <see cref="Memory"/> or <see cref="Span"/>, then dispose the lease to give the buffer back: until
/// then the buffer cannot take new data, and a worker whose buffers are all lent out stops receiving on every leased
/// socket until one comes back.
/// </summary>
/// <remarks>
/// A lease whose <see cref="Length"/> is 0 means the peer closed its side; it holds no buffer. Disposing a lease more
/// than once (or disposing a copy of it) gives the buffer back only once. The memory must not be used after disposal:
/// it is lent to the next receive.
/// </remarks>
public readonly struct UringReceivedBuffer : IDisposable
{
    private readonly ReceiveBufferGroup? _group;
    private readonly ushort _bufferId;
    private readonly ushort _generation;

    internal UringReceivedBuffer(ReceiveBufferGroup group, ushort bufferId, int length)
    {
        _group = group;
        _bufferId = bufferId;
        _generation = group.GenerationOf(bufferId);
        Length = length;
    }

    /// <summary>The bytes received: 0 when the peer has closed its side.</summary>
    public int Length { get; }

    /// <summary>Whether this lease marks the end of the stream (the peer closed its side).</summary>
    public bool IsEndOfStream => _group is null;

    /// <summary>The data received, valid until the lease is disposed.</summary>
    public Memory<byte> Memory => _group is null ? default : _group.Received(_bufferId, Length);

    /// <summary>The data received, valid until the lease is disposed.</summary>
    public Span<byte> Span => Memory.Span;

    /// <summary>Gives the buffer back to the worker for the next receive.</summary>
    public void Dispose() => _group?.Return(_bufferId, _generation);
}
