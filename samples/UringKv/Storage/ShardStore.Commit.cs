using UringScheduler;

namespace UringKv.Storage;

// Appending and group commit. Records go into the open batch; the first record of a batch posts the commit to this
// worker's own queue, so it runs after the work already queued (the rest of this loop turn's requests) and takes all
// of them in one write and one fdatasync. Records that arrive while a batch is being committed form the next batch,
// written as soon as the previous one is done: one write and one fdatasync in flight per shard at a time.
internal sealed partial class ShardStore
{
    private static readonly SendOrPostCallback s_commit = static s => _ = ((ShardStore)s!).CommitLoopAsync();

    private readonly Queue<CommitBatch> _sealedBatches = new();
    private Segment? _active;
    private CommitBatch? _open;
    private CommitBatch? _lastBatch;
    private List<KeyEntry>? _spareEntries;
    private long _nextBatchSequence = 1;
    private bool _committing;
    private bool _directoryNeedsSync;

    private (CommitBatch Batch, long Offset, ulong Sequence, int Size) Append(RecordType type, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_closed)
        {
            throw new ObjectDisposedException(nameof(ShardStore), "the shard is closed");
        }

        int size = LogRecord.SizeOf(key.Length, value.Length);
        if (_active is null)
        {
            _active = NewSegment();
        }
        else if (_active.Length > 0 && _active.Length + size > _options.SegmentSize)
        {
            RollOver();
        }

        Segment segment = _active!;
        if (_open is null)
        {
            _open = new CommitBatch(segment, segment.Length, _nextBatchSequence++, _spareEntries ?? []);
            _spareEntries = null;
            _lastBatch = _open;
            segment.PendingBatches++;
        }

        ulong sequence = _nextSequence++;
        LogRecord.Write(_open.Reserve(size), type, sequence, key, value);
        _open.Commit(size);
        long offset = segment.Length;
        segment.Length += size;
        segment.NoteSequence(sequence);
        Statistics.Records++;
        Statistics.LogBytes += size;
        Statistics.DiskBytes += size;
        if (!_committing)
        {
            _committing = true;
            _worker.SynchronizationContext.Post(s_commit, this);
        }

        return (_open, offset, sequence, size);
    }

    private Segment NewSegment()
    {
        int id = _nextSegmentId++;
        var segment = new Segment(id, SegmentPath(id)) { IsActive = true };
        _segments.Add(segment);
        Statistics.Segments++;
        return segment;
    }

    private void RollOver()
    {
        if (_open is not null)
        {
            _sealedBatches.Enqueue(_open);
            _open = null;
        }

        _active!.IsActive = false;
        _active = NewSegment();
    }

    private string SegmentPath(int id) => System.IO.Path.Combine(_directory, $"{id:D8}.log");

    private async Task CommitLoopAsync()
    {
        try
        {
            while (true)
            {
                CommitBatch? batch;
                if (_sealedBatches.Count > 0)
                {
                    batch = _sealedBatches.Dequeue();
                }
                else
                {
                    batch = _open;
                    _open = null;
                }

                if (batch is null)
                {
                    break;
                }

                await CommitAsync(batch);
            }
        }
        finally
        {
            _committing = false;
        }
    }

    private async Task CommitAsync(CommitBatch batch)
    {
        Segment segment = batch.Segment;
        try
        {
            if (_writeError is not null)
            {
                throw new IOException("an earlier write to the log failed", _writeError);
            }

            bool created = false;
            if (segment.File is null)
            {
                segment.File = await UringFile.OpenAsync(segment.Path, new UringFileOptions { Access = FileAccess.ReadWrite, Mode = FileMode.CreateNew });
                created = true;
            }

            await segment.File.WriteAsync(batch.Data, batch.FileOffset);
            segment.WrittenLength = batch.FileOffset + batch.Length;
            Statistics.Batches++;

            // Written: the file can serve these values from now on; small ones, and larger ones while the cache has
            // room, stay in memory.
            foreach (KeyEntry entry in batch.Entries)
            {
                if (entry.Batch == batch && !entry.IsDeleted && !KeepsValue(entry.ValueLength))
                {
                    DropValue(entry);
                }
            }

            if (_options.Durability == Durability.Always)
            {
                await segment.File.FlushAsync(dataOnly: true);
                if (created)
                {
                    await SyncDirectoryAsync();
                }

                Statistics.Fsyncs++;
                Statistics.SyncedRecords += batch.RecordCount;
            }
            else
            {
                segment.NeedsSync = true;
                _directoryNeedsSync |= created;
            }
        }
        catch (Exception e)
        {
            if (_writeError is null)
            {
                _writeError = e;
                Log.WriteFailed(_logger, Shard, segment.Path, e);
            }

            batch.Fail(e);
            return;
        }
        finally
        {
            batch.ReleaseBuffer();
            segment.PendingBatches--;
        }

        foreach (KeyEntry entry in batch.Entries)
        {
            if (entry.Batch == batch)
            {
                entry.Batch = null;
                if (entry.IsDeleted && _index.Remove(entry))
                {
                    DropValue(entry);
                }
            }
        }

        _spareEntries = batch.TakeEntries();
        batch.Acknowledge();
    }

    /// <summary>everysec: makes everything written so far durable.</summary>
    private async Task SyncAsync()
    {
        bool synced = false;
        foreach (Segment segment in _segments.ToArray())
        {
            if (segment.NeedsSync && segment.File is not null && !segment.IsObsolete)
            {
                segment.NeedsSync = false;
                await segment.File.FlushAsync(dataOnly: true);
                synced = true;
            }
        }

        if (_directoryNeedsSync)
        {
            _directoryNeedsSync = false;
            await SyncDirectoryAsync();
        }

        if (synced)
        {
            Statistics.Fsyncs++;
        }
    }
}
