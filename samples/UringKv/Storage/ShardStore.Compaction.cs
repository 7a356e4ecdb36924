using UringScheduler;

namespace UringKv.Storage;

// Compaction: closed segments whose dead share passed the threshold are merged into new segments that hold only
// what still counts, then the index entries that still point into the old ones are moved, and the old files go.
// It runs on the shard's worker between foreground requests: every chunk it reads or writes is an awaited ring
// operation, so requests run between chunks, and the index is only touched synchronously between those awaits.
internal sealed partial class ShardStore
{
    private const int CompactionFlushSize = 1024 * 1024;

    private bool _compacting;

    /// <summary>Whether a compaction is running now (a second one started meanwhile does nothing).</summary>
    public bool IsCompacting => _compacting;

    /// <summary>Compacts the segments that qualify; returns how many were merged.</summary>
    public async Task<int> CompactAsync(bool all = false)
    {
        if (_compacting || _stopping)
        {
            return 0;
        }

        List<Segment> inputs = _segments
            .Where(s => s.IsSealed && s.File is not null && s.Length > 0 && (all ? s.DeadBytes > 0 : s.DeadBytes >= _options.CompactionDeadRatio * s.Length))
            .ToList();
        if (inputs.Count == 0)
        {
            return 0;
        }

        _compacting = true;
        var outputs = new List<Segment>();
        try
        {
            return await CompactCoreAsync(inputs, outputs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Nothing points at the new files before the last step: drop them, keep the old ones.
            Log.MaintenanceFailed(_logger, Shard, e);
            foreach (Segment output in outputs)
            {
                if (!_segments.Contains(output))
                {
                    await DiscardAsync(output);
                }
            }

            return 0;
        }
        finally
        {
            _compacting = false;
        }
    }

    private async Task<int> CompactCoreAsync(List<Segment> inputs, List<Segment> outputs)
    {
        var inputSet = new HashSet<Segment>(inputs);
        var moves = new List<(KeyEntry Entry, ulong Sequence, Segment Target, long Offset, int Size)>();
        var pending = new System.Buffers.ArrayBufferWriter<byte>(CompactionFlushSize);
        var rolled = new List<(Segment Segment, long Offset, byte[] Data)>();
        Segment? output = null;
        long pendingOffset = 0;

        // A tombstone may go only when no segment outside this merge can hold an older value of its key.
        ulong oldestOutside = _segments.Where(s => !inputSet.Contains(s)).Select(s => s.MinSequence).DefaultIfEmpty(ulong.MaxValue).Min();
        if (_open is not null)
        {
            oldestOutside = Math.Min(oldestOutside, _open.Segment.MinSequence);
        }

        async Task WriteOutputAsync(Segment segment, long offset, ReadOnlyMemory<byte> data)
        {
            segment.File ??= await UringFile.OpenAsync(segment.Path, new UringFileOptions { Access = FileAccess.ReadWrite, Mode = FileMode.CreateNew });
            await segment.File.WriteAsync(data, offset);
            segment.WrittenLength = offset + data.Length;
        }

        async Task FlushPendingAsync()
        {
            foreach ((Segment segment, long offset, byte[] data) in rolled)
            {
                await WriteOutputAsync(segment, offset, data);
            }

            rolled.Clear();
            if (pending.WrittenCount > 0)
            {
                await WriteOutputAsync(output!, pendingOffset, pending.WrittenMemory);
                pendingOffset += pending.WrittenCount;
                pending.ResetWrittenCount();
            }
        }

        foreach (Segment input in inputs)
        {
            input.Readers++; // keeps the file while it is read, even if a FLUSHALL drops the segment meanwhile
            try
            {
                Segment current = input;
                await SegmentScanner.ScanAsync(input.File!, input.WrittenLength, (long offset, in RecordHeader header, ReadOnlySpan<byte> record) =>
                {
                    ReadOnlySpan<byte> key = record.Slice(LogRecord.HeaderSize, header.KeyLength);
                    KeyEntry? entry = header.Type == RecordType.Flush ? null : Find(key);
                    bool keep = header.Type switch
                    {
                        RecordType.Put => entry is { IsDeleted: false } && entry.Segment == current && entry.Offset == offset,
                        RecordType.Delete => header.Sequence > _flushSequence && oldestOutside < header.Sequence
                            && !(entry is { IsDeleted: false } && entry.Sequence > header.Sequence),
                        _ => true, // flush marks are tiny and always kept
                    };
                    if (!keep)
                    {
                        return;
                    }

                    if (output is null || output.Length + record.Length > _options.SegmentSize)
                    {
                        if (output is not null && pending.WrittenCount > 0)
                        {
                            // No await here: the full segment's tail is written with the next flush.
                            rolled.Add((output, pendingOffset, pending.WrittenSpan.ToArray()));
                            pending.ResetWrittenCount();
                        }

                        int id = _nextSegmentId++;
                        output = new Segment(id, SegmentPath(id));
                        outputs.Add(output);
                        pendingOffset = 0;
                    }

                    long target = output.Length;
                    record.CopyTo(pending.GetSpan(record.Length));
                    pending.Advance(record.Length);
                    output.Length += record.Length;
                    output.NoteSequence(header.Sequence);
                    if (header.Type == RecordType.Put)
                    {
                        moves.Add((entry!, header.Sequence, output, target, record.Length));
                    }

                    // Kept tombstones and flush marks are not counted dead in the output: they are still needed.
                }, async () =>
                {
                    if (pending.WrittenCount >= CompactionFlushSize || rolled.Count > 0)
                    {
                        await FlushPendingAsync();
                    }
                });
            }
            finally
            {
                ReleaseReader(input);
            }

            if (_stopping)
            {
                // The shard is closing: give up; nothing points at the new files yet.
                foreach (Segment o in outputs)
                {
                    await DiscardAsync(o);
                }

                return 0;
            }
        }

        await FlushPendingAsync();

        foreach (Segment o in outputs)
        {
            if (o.File is not null)
            {
                await o.File.FlushAsync(dataOnly: true);
            }
        }

        // Only now, with the new files durable, may the index point at them and the old files go.
        await SyncDirectoryAsync();
        int moved = 0;
        foreach ((KeyEntry entry, ulong sequence, Segment target, long offset, int size) in moves)
        {
            if (++moved % 4096 == 0)
            {
                // Let requests run; each entry is checked when it is moved, and the old files stay until the end.
                await Task.Yield();
            }

            if (entry.Sequence == sequence && !entry.IsDeleted && entry.Batch is null && inputSet.Contains(entry.Segment)
                && _index.Contains(entry))
            {
                entry.Segment = target;
                entry.Offset = offset;
            }
            else
            {
                target.DeadBytes += size;
            }
        }

        long before = 0;
        long after = 0;
        foreach (Segment o in outputs)
        {
            if (o.File is null)
            {
                continue; // nothing was kept in it
            }

            _segments.Add(o);
            Statistics.Segments++;
            after += o.Length;
        }

        foreach (Segment input in inputs)
        {
            before += input.Length;
            input.IsObsolete = true;
            _segments.Remove(input);
            Statistics.Segments--;
            if (input.Readers == 0)
            {
                await DeleteSegmentAsync(input);
            }
        }

        Statistics.DiskBytes += after - before;
        Statistics.Compactions++;
        Statistics.CompactionReclaimedBytes += before - after;
        Log.Compacted(_logger, Shard, inputs.Count, before, after);
        return inputs.Count;
    }

    private void ReleaseReader(Segment segment)
    {
        segment.Readers--;
        if (segment.IsObsolete && segment.Readers == 0)
        {
            _ = DeleteSegmentAsync(segment);
        }
    }

    private async Task DeleteSegmentAsync(Segment segment)
    {
        try
        {
            CloseDirectFile(segment);
            if (segment.File is not null)
            {
                await segment.File.DisposeAsync();
                segment.File = null;
            }

            File.Delete(segment.Path);
        }
        catch (IOException e)
        {
            Log.DeleteFailed(_logger, Shard, segment.Path, e);
        }
    }

    private async Task DiscardAsync(Segment output)
    {
        if (output.File is not null)
        {
            await output.File.DisposeAsync();
            output.File = null;
            File.Delete(output.Path);
        }
    }
}
