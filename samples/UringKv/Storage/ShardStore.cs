using System.Buffers.Text;
using Microsoft.Extensions.Logging;
using UringKv.Protocol;
using UringScheduler;

namespace UringKv.Storage;

/// <summary>
/// One shard: a log-structured store (Bitcask-style) owned by one worker. Only that worker calls it, so nothing here
/// takes a lock. The index maps each key to its newest record; values are read back from the segment files with
/// positioned reads, except small ones, which stay in memory beside their key.
/// </summary>
/// <remarks>
/// Every operation runs synchronously up to its decision (index lookup, record appended to the open batch, index
/// updated), so operations on a shard take effect in the order they arrive; only the reply may wait, for a value read
/// from disk or for the batch that makes the result durable. A reply never depends on state that is not acknowledged
/// yet: a read that sees a record still in flight waits for that record's batch.
/// </remarks>
internal sealed partial class ShardStore
{
    private readonly KeyIndex _index = new();
    private readonly List<Segment> _segments = [];
    private readonly ValueArena _values = new();
    private readonly StoreOptions _options;
    private readonly ILogger _logger;
    private readonly UringWorker _worker;
    private readonly string _directory;
    private readonly int _inlineLimit;
    private ulong _nextSequence = 1;
    private ulong _flushSequence;
    private int _nextSegmentId = 1;
    private Exception? _writeError;
    private bool _closed;
    private bool _stopping;
    private UringFile? _directoryFile;

    public ShardStore(int shard, UringWorker worker, StoreOptions options, ILogger logger)
    {
        Shard = shard;
        _worker = worker;
        _options = options;
        _logger = logger;
        _directory = System.IO.Path.Combine(options.Directory, $"shard-{shard:D2}");
        // An integer's text is at most 20 bytes: keeping those in memory lets INCR decide without a disk read.
        _inlineLimit = Math.Max(20, options.InlineValueLimit);
        Statistics = new ShardStatistics(shard);
    }

    public int Shard { get; }

    public UringWorker Worker => _worker;

    public ShardStatistics Statistics { get; }

    /// <summary>Keys that exist (tombstones waiting for their acknowledgement excluded).</summary>
    public long KeyCount => Statistics.Keys;

    public ValueTask<Reply> Get(ReadOnlySpan<byte> key)
    {
        CheckThread();
        Statistics.Operations++;
        KeyEntry? entry = Find(key);
        if (entry is null)
        {
            return new ValueTask<Reply>(Reply.Nil);
        }

        if (entry.IsDeleted)
        {
            return AfterAcknowledged(entry.Batch, Reply.Nil);
        }

        if (entry.ValueArray is not null)
        {
            // A copy: the slot may hold another value by the time the reply is written.
            return AfterAcknowledged(entry.Batch, Reply.FromBulkCopy(entry.Value));
        }

        return _options.DirectReads
            ? ReadValueDirectAsync(entry.Segment, entry.Offset, entry.RecordSize, entry.Key, entry.Batch)
            : ReadValueAsync(entry.Segment, entry.Offset, entry.RecordSize, entry.Key, entry.Batch);
    }

    public ValueTask<Reply> Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SetCondition condition)
    {
        CheckThread();
        Statistics.Operations++;
        KeyEntry? entry = Find(key);
        bool exists = entry is { IsDeleted: false };
        if ((condition == SetCondition.IfAbsent && exists) || (condition == SetCondition.IfPresent && !exists))
        {
            return AfterAcknowledged(entry?.Batch, Reply.Nil);
        }

        if (_writeError is not null)
        {
            return new ValueTask<Reply>(WriteErrorReply());
        }

        CommitBatch batch = Put(key, value, entry);
        return batch.OkWhenAcknowledged();
    }

    /// <summary>MSET's part on this shard: keys and values alternate.</summary>
    public ValueTask<Reply> SetMany(IReadOnlyList<byte[]> keysAndValues)
    {
        CheckThread();
        if (_writeError is not null)
        {
            return new ValueTask<Reply>(WriteErrorReply());
        }

        CommitBatch? last = null;
        for (int i = 0; i + 1 < keysAndValues.Count; i += 2)
        {
            Statistics.Operations++;
            byte[] key = keysAndValues[i];
            last = Put(key, keysAndValues[i + 1], Find(key));
        }

        return last is null ? new ValueTask<Reply>(Reply.Ok) : last.OkWhenAcknowledged();
    }

    /// <summary>DEL of one key: 1 when it existed.</summary>
    public int Delete(ReadOnlySpan<byte> key, ref CommitBatch? wait)
    {
        CheckThread();
        Statistics.Operations++;
        KeyEntry? entry = Find(key);
        if (entry is null)
        {
            return 0;
        }

        if (entry.IsDeleted)
        {
            Later(ref wait, entry.Batch);
            return 0;
        }

        if (_writeError is not null)
        {
            throw new IOException("the log cannot be written", _writeError);
        }

        (CommitBatch batch, long offset, ulong sequence, int size) = Append(RecordType.Delete, key, default);
        batch.Segment.DeadBytes += size; // a tombstone is never live data
        entry.Segment.DeadBytes += entry.RecordSize;
        entry.IsDeleted = true;
        DropValue(entry);
        entry.Segment = batch.Segment;
        entry.Offset = offset;
        entry.RecordSize = size;
        entry.ValueLength = 0;
        entry.Sequence = sequence;
        entry.Batch = batch;
        batch.Entries.Add(entry);
        Statistics.Keys--;
        Later(ref wait, batch);
        return 1;
    }

    /// <summary>EXISTS of one key.</summary>
    public bool Exists(ReadOnlySpan<byte> key, ref CommitBatch? wait)
    {
        CheckThread();
        Statistics.Operations++;
        KeyEntry? entry = Find(key);
        if (entry is null)
        {
            return false;
        }

        Later(ref wait, entry.Batch);
        return !entry.IsDeleted;
    }

    public ValueTask<Reply> StrLen(ReadOnlySpan<byte> key)
    {
        CheckThread();
        Statistics.Operations++;
        KeyEntry? entry = Find(key);
        return entry is null
            ? new ValueTask<Reply>(Reply.FromInteger(0))
            : AfterAcknowledged(entry.Batch, Reply.FromInteger(entry.IsDeleted ? 0 : entry.ValueLength));
    }

    /// <summary>INCRBY (and INCR, DECR, DECRBY): the value must be a decimal 64-bit integer, as Redis's.</summary>
    public ValueTask<Reply> IncrementBy(ReadOnlySpan<byte> key, long delta)
    {
        CheckThread();
        Statistics.Operations++;
        KeyEntry? entry = Find(key);
        long current = 0;
        if (entry is { IsDeleted: false })
        {
            // Values longer than the inline limit are not in memory, and cannot be integers either.
            if (entry.ValueArray is null || !RespParser.TryParseInt64(entry.Value, out current))
            {
                return AfterAcknowledged(entry.Batch, Reply.FromError("ERR value is not an integer or out of range"));
            }
        }

        if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
        {
            return AfterAcknowledged(entry?.Batch, Reply.FromError("ERR increment or decrement would overflow"));
        }

        if (_writeError is not null)
        {
            return new ValueTask<Reply>(WriteErrorReply());
        }

        long result = current + delta;
        Span<byte> formatted = stackalloc byte[20];
        Utf8Formatter.TryFormat(result, formatted, out int length);
        CommitBatch batch = Put(key, formatted[..length], entry);
        return AfterAcknowledged(batch, Reply.FromInteger(result));
    }

    /// <summary>FLUSHALL on this shard: a flush mark in the log, then an empty index.</summary>
    public ValueTask<Reply> FlushAll()
    {
        CheckThread();
        Statistics.Operations++;
        if (_writeError is not null)
        {
            return new ValueTask<Reply>(WriteErrorReply());
        }

        (CommitBatch batch, _, ulong sequence, int size) = Append(RecordType.Flush, default, default);
        batch.Segment.DeadBytes += size;
        foreach (KeyEntry entry in _index.ToArray())
        {
            if (!entry.IsDeleted)
            {
                entry.Segment.DeadBytes += entry.RecordSize;
            }

            entry.Batch = null; // its batch must not touch the index for it any more
            entry.ValueArray = null; // its slot goes with the arena's slabs
        }

        _index.Clear();
        _values.Clear();
        Statistics.ValueBytes = 0;
        _flushSequence = sequence;
        Statistics.Keys = 0;
        return AfterAcknowledged(batch, Reply.Ok);
    }

    /// <summary>Completes when every write appended so far is acknowledged (a reply that depends on all of them).</summary>
    public Task WhenAllAcknowledged() => _open?.Acknowledged ?? _lastBatch?.Acknowledged ?? Task.CompletedTask;

    /// <summary>
    /// The store has no locks because only its worker touches it: a call from any other thread is a bug (a
    /// continuation that left the worker), and is stopped here before it can corrupt the index.
    /// </summary>
    private void CheckThread()
    {
        if (UringWorker.Current != _worker)
        {
            throw new InvalidOperationException($"shard {Shard} belongs to worker {_worker.Id} and was called from {(UringWorker.Current is { } other ? $"worker {other.Id}" : "a thread that is no worker")}");
        }
    }

    private KeyEntry? Find(ReadOnlySpan<byte> key) => _index.Find(key);

    // Every change of an entry's in-memory value goes through these two, to keep the count the cache budget is held
    // to and to give the value's slot back. An entry's value in memory is ValueLength bytes long: it is dropped
    // before ValueLength changes.
    private void StoreValue(KeyEntry entry, ReadOnlySpan<byte> value)
    {
        DropValue(entry);
        entry.ValueArray = _values.Store(value, out int offset);
        entry.ValueOffset = offset;
        Statistics.ValueBytes += value.Length;
    }

    private void DropValue(KeyEntry entry)
    {
        if (entry.ValueArray is byte[] array)
        {
            _values.Free(array, entry.ValueOffset, entry.ValueLength);
            Statistics.ValueBytes -= entry.ValueLength;
            entry.ValueArray = null;
        }
    }

    // Whether a written value of this length stays in memory: always when small, else while the cache has room.
    private bool KeepsValue(int length) =>
        length <= _inlineLimit || Statistics.ValueBytes <= _options.ValueCacheBytes;

    private CommitBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, KeyEntry? entry)
    {
        (CommitBatch batch, long offset, ulong sequence, int size) = Append(RecordType.Put, key, value);
        if (entry is null)
        {
            entry = new KeyEntry(key.ToArray());
            _index.Add(entry);
            Statistics.Keys++;
        }
        else if (entry.IsDeleted)
        {
            entry.IsDeleted = false;
            Statistics.Keys++;
        }
        else
        {
            entry.Segment.DeadBytes += entry.RecordSize;
        }

        DropValue(entry);
        entry.Segment = batch.Segment;
        entry.Offset = offset;
        entry.RecordSize = size;
        entry.ValueLength = value.Length;
        entry.Sequence = sequence;
        StoreValue(entry, value); // until the record is written; kept after that when small or cached
        entry.Batch = batch;
        batch.Entries.Add(entry);
        return batch;
    }

    private async ValueTask<Reply> ReadValueAsync(Segment segment, long offset, int recordSize, byte[] key, CommitBatch? batch)
    {
        // The segment cannot be deleted while a read uses it (compaction waits for its readers).
        segment.Readers++;
        byte[] record = System.Buffers.ArrayPool<byte>.Shared.Rent(recordSize);
        Reply value;
        try
        {
            int read = 0;
            while (read < recordSize)
            {
                int n = await segment.File!.ReadAsync(record.AsMemory(read, recordSize - read), offset + read);
                if (n == 0)
                {
                    throw new InvalidDataException($"the log ends before the record at {segment.Path}:{offset}");
                }

                read += n;
            }

            value = ValueReplyOf(record.AsSpan(0, recordSize), segment, offset, recordSize, key);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Log.ReadFailed(_logger, Shard, e);
            return Reply.FromError($"ERR cannot read the value: {e.Message}");
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(record);
            ReleaseReader(segment);
        }

        return await AfterAcknowledged(batch, value);
    }

    // The value of a record read back, copied into a pooled reply: served only if it is the whole, intact record of
    // this key.
    private Reply ValueReplyOf(ReadOnlySpan<byte> record, Segment segment, long offset, int recordSize, byte[] key)
    {
        if (!LogRecord.IsPutOf(record, recordSize, key))
        {
            throw new InvalidDataException($"the record at {segment.Path}:{offset} does not match its checksum or key");
        }

        Statistics.DiskReads++;
        return Reply.FromBulkCopy(LogRecord.ValueOf(record, recordSize, key.Length));
    }

    /// <summary>The reply, once <paramref name="batch"/> (when there is one in flight) is acknowledged.</summary>
    public static ValueTask<Reply> AfterAcknowledged(CommitBatch? batch, Reply reply)
    {
        if (batch is null || batch.Acknowledged.IsCompletedSuccessfully)
        {
            return new ValueTask<Reply>(reply);
        }

        return AwaitAcknowledged(batch.Acknowledged, reply);

        static async ValueTask<Reply> AwaitAcknowledged(Task acknowledged, Reply reply)
        {
            try
            {
                await acknowledged;
                return reply;
            }
            catch (Exception e)
            {
                return Reply.FromError($"ERR the write could not be made durable: {e.Message}");
            }
        }
    }

    /// <summary>Keeps the later of two batches (batches are acknowledged in order).</summary>
    public static void Later(ref CommitBatch? wait, CommitBatch? batch)
    {
        if (batch is not null && (wait is null || batch.Sequence > wait.Sequence))
        {
            wait = batch;
        }
    }

    /// <summary>fsync of the shard's folder through the ring, so that new segment files' names are durable.</summary>
    private async Task SyncDirectoryAsync()
    {
        _directoryFile ??= UringFile.FromHandle(NativeMethods.OpenDirectory(_directory), ownsHandle: true);
        await _directoryFile.FlushAsync();
    }

    private Reply WriteErrorReply() =>
        Reply.FromError($"MISCONF the log of shard {Shard} cannot be written ({_writeError!.Message}); writes are refused");
}
