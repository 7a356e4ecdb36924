using System.Buffers;
using UringKv.Protocol;

namespace UringKv.Storage;

/// <summary>
/// The records one shard appended while its previous batch was being committed (or within one loop turn): written
/// with one write, made durable with one fdatasync, acknowledged together.
/// </summary>
internal sealed class CommitBatch(Segment segment, long fileOffset, long sequence, List<KeyEntry> entries)
{
    // A list that grew past this (a very large batch) is not handed on to a later batch.
    private const int KeptEntriesCapacity = 64 * 1024;

    private readonly TaskCompletionSource _acknowledged = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private Task<Reply>? _ok;

    public Segment Segment { get; } = segment;

    /// <summary>The batch's number in its shard: batches are written and acknowledged in this order.</summary>
    public long Sequence { get; } = sequence;

    public long FileOffset { get; } = fileOffset;

    public int Length { get; private set; }

    /// <summary>Entries whose newest record is in this batch (some may have moved on to a later batch since).</summary>
    public List<KeyEntry> Entries { get; private set; } = entries;

    public int RecordCount { get; private set; }

    /// <summary>Completes when the batch is acknowledged (durable for <c>always</c>, written otherwise), or faults.</summary>
    public Task Acknowledged => _acknowledged.Task;

    public ReadOnlyMemory<byte> Data => _buffer.AsMemory(0, Length);

    /// <summary>Room for one record at the end; the caller writes it and calls <see cref="Commit"/>.</summary>
    public Span<byte> Reserve(int size)
    {
        if (_buffer.Length - Length < size)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + size));
            _buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsSpan(Length, size);
    }

    public void Commit(int size)
    {
        Length += size;
        RecordCount++;
    }

    /// <summary>
    /// "+OK" once the batch is acknowledged (an error if it fails): one task shared by every write of the batch that
    /// answers OK, instead of one awaiting state machine per write.
    /// </summary>
    public ValueTask<Reply> OkWhenAcknowledged()
    {
        if (_acknowledged.Task.IsCompletedSuccessfully)
        {
            return new ValueTask<Reply>(Reply.Ok);
        }

        _ok ??= _acknowledged.Task.ContinueWith(
            static t => t.IsCompletedSuccessfully ? Reply.Ok : Reply.FromError($"ERR the write could not be made durable: {t.Exception?.InnerException?.Message}"),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new ValueTask<Reply>(_ok);
    }

    public void Acknowledge() => _acknowledged.TrySetResult();

    public void Fail(Exception error) => _acknowledged.TrySetException(error);

    /// <summary>
    /// Once the batch is acknowledged: its list of entries, emptied, for a later batch (so that the lists of a
    /// shard's batches are not allocated and grown again for every batch); null when it is too large to keep.
    /// </summary>
    public List<KeyEntry>? TakeEntries()
    {
        List<KeyEntry> entries = Entries;
        Entries = [];
        entries.Clear();
        return entries.Capacity <= KeptEntriesCapacity ? entries : null;
    }

    /// <summary>Gives the buffer back once the batch is written.</summary>
    public void ReleaseBuffer()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
