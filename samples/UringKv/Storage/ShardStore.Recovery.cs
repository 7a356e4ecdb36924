using UringScheduler;

namespace UringKv.Storage;

// Recovery: every segment is scanned; the record with the highest sequence number of each key wins, whatever file
// it is in (compaction copies records into newer files with their old sequence numbers). A segment's torn or corrupt
// tail (the first record whose header is impossible or whose checksum does not match, and all after it) is cut off.
internal sealed partial class ShardStore
{
    /// <summary>Opens the shard: creates its folder, or rebuilds the index from its segments.</summary>
    public async Task OpenAsync()
    {
        Directory.CreateDirectory(_directory);
        var ids = new List<int>();
        foreach (string path in Directory.EnumerateFiles(_directory, "*.log"))
        {
            if (int.TryParse(System.IO.Path.GetFileNameWithoutExtension(path), out int id) && id > 0)
            {
                ids.Add(id);
            }
        }

        ids.Sort();
        ulong maxSequence = 0;
        foreach (int id in ids)
        {
            var segment = new Segment(id, SegmentPath(id));
            segment.File = await UringFile.OpenAsync(segment.Path, new UringFileOptions { Access = FileAccess.ReadWrite, Mode = FileMode.Open });
            long length = segment.File.Length;
            long valid = await SegmentScanner.ScanAsync(segment.File, length, (long offset, in RecordHeader header, ReadOnlySpan<byte> record) =>
            {
                maxSequence = Math.Max(maxSequence, header.Sequence);
                Replay(segment, offset, header, record);
            });

            if (valid < length)
            {
                Log.TailTruncated(_logger, Shard, segment.Path, valid, length - valid);
                RandomAccess.SetLength(segment.File.Handle, valid);
                await segment.File.FlushAsync();
                Statistics.TruncatedBytes += length - valid;
            }

            segment.Length = valid;
            segment.WrittenLength = valid;
            if (valid == 0)
            {
                await segment.File.DisposeAsync();
                File.Delete(segment.Path);
                continue;
            }

            _segments.Add(segment);
            Statistics.Segments++;
            Statistics.DiskBytes += valid;
            _nextSegmentId = Math.Max(_nextSegmentId, id + 1);
        }

        foreach (KeyEntry entry in _index.ToArray())
        {
            if (entry.IsDeleted)
            {
                DropValue(entry);
                _index.Remove(entry);
            }
            else if (entry.Sequence < _flushSequence)
            {
                entry.Segment.DeadBytes += entry.RecordSize;
                DropValue(entry);
                _index.Remove(entry);
            }
        }

        _nextSequence = maxSequence + 1;
        Statistics.Keys = _index.Count;
        await SyncDirectoryAsync();
        Log.ShardOpened(_logger, Shard, _index.Count, _segments.Count, Statistics.DiskBytes);
    }

    private void Replay(Segment segment, long offset, in RecordHeader header, ReadOnlySpan<byte> record)
    {
        segment.NoteSequence(header.Sequence);
        int size = header.RecordSize;
        ReadOnlySpan<byte> key = record.Slice(LogRecord.HeaderSize, header.KeyLength);
        if (header.Type == RecordType.Flush)
        {
            segment.DeadBytes += size;
            _flushSequence = Math.Max(_flushSequence, header.Sequence);
            return;
        }

        KeyEntry? entry = Find(key);
        if (entry is not null && header.Sequence <= entry.Sequence)
        {
            // An older record (or a second copy of the same one, left by a compaction that did not finish).
            segment.DeadBytes += size;
            return;
        }

        if (entry is null)
        {
            entry = new KeyEntry(key.ToArray());
            _index.Add(entry);
        }
        else if (!entry.IsDeleted)
        {
            entry.Segment.DeadBytes += entry.RecordSize;
        }

        DropValue(entry);
        entry.Segment = segment;
        entry.Offset = offset;
        entry.RecordSize = size;
        entry.Sequence = header.Sequence;
        if (header.Type == RecordType.Delete)
        {
            segment.DeadBytes += size;
            entry.IsDeleted = true;
            entry.ValueLength = 0;
        }
        else
        {
            entry.IsDeleted = false;
            entry.ValueLength = header.ValueLength;
            if (KeepsValue(header.ValueLength))
            {
                StoreValue(entry, record[(LogRecord.HeaderSize + header.KeyLength)..]);
            }
        }
    }
}
