using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UringKv.Protocol;
using UringScheduler;

namespace UringKv.Storage;

// Values read with O_DIRECT (--direct-reads): for data sets larger than memory, where a buffered read would put the
// record's pages in the page cache only for them to be evicted again, which under a memory limit means reclaiming
// other pages on the worker's own thread at every read. The direct read takes the record's span rounded out to the
// file's alignment into an aligned buffer and nothing else.
internal sealed partial class ShardStore
{
    // Pooled read buffers: pinned arrays (never moved by the GC, so an aligned offset into one stays aligned).
    private const int DirectBufferSize = 16 * 1024;
    private const int MaxPooledDirectBuffers = 256;
    private readonly Stack<byte[]> _directBuffers = new();

    private async ValueTask<Reply> ReadValueDirectAsync(Segment segment, long offset, int recordSize, byte[] key, CommitBatch? batch)
    {
        UringFile? file = DirectFileOf(segment);
        if (file is null)
        {
            return await ReadValueAsync(segment, offset, recordSize, key, batch);
        }

        DirectIoAlignment alignment = file.Alignment;
        long start = offset - (offset % alignment.OffsetAlignment);
        long end = offset + recordSize;
        end += (alignment.OffsetAlignment - (end % alignment.OffsetAlignment)) % alignment.OffsetAlignment;
        int length = checked((int)(end - start));
        int skip = (int)(offset - start);
        byte[] raw = RentDirectBuffer(length + alignment.MemoryAlignment);
        Memory<byte> buffer = raw.AsMemory(AlignedStart(raw, alignment.MemoryAlignment), length);

        // The segment cannot be deleted while a read uses it (compaction waits for its readers).
        segment.Readers++;
        Reply? value = null;
        try
        {
            // One read: a short count can only mean the end of the file, and the record must be whole before it.
            int read = await file.ReadAsync(buffer, start);
            if (read >= skip + recordSize)
            {
                // Copied out before the buffer goes back to the pool, below.
                value = ValueReplyOf(buffer.Span.Slice(skip, recordSize), segment, offset, recordSize, key);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Log.ReadFailed(_logger, Shard, e);
            return Reply.FromError($"ERR cannot read the value: {e.Message}");
        }
        finally
        {
            ReturnDirectBuffer(raw);
            ReleaseReader(segment);
        }

        return value is null
            ? await ReadValueAsync(segment, offset, recordSize, key, batch)
            : await AfterAcknowledged(batch, value.Value);
    }

    // The segment's O_DIRECT descriptor, opened at its first read; null where the file system refuses O_DIRECT, or
    // while the open fails (out of descriptors, say): the buffered descriptor serves the read then.
    private UringFile? DirectFileOf(Segment segment)
    {
        if (segment.DirectFile is null && !segment.DirectRefused)
        {
            try
            {
                // A blocking open(2), once per segment: an awaited open could race with another read of the segment.
                segment.DirectFile = UringFile.Open(segment.Path, new UringFileOptions { Access = FileAccess.Read, Mode = FileMode.Open, Direct = true });
            }
            catch (NotSupportedException)
            {
                segment.DirectRefused = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.ReadFailed(_logger, Shard, e);
            }
        }

        return segment.DirectFile;
    }

    private static void CloseDirectFile(Segment segment)
    {
        segment.DirectFile?.Dispose();
        segment.DirectFile = null;
    }

    private byte[] RentDirectBuffer(int size)
    {
        if (size <= DirectBufferSize && _directBuffers.TryPop(out byte[]? pooled))
        {
            return pooled;
        }

        return GC.AllocateUninitializedArray<byte>(Math.Max(size, DirectBufferSize), pinned: true);
    }

    private void ReturnDirectBuffer(byte[] buffer)
    {
        if (buffer.Length == DirectBufferSize && _directBuffers.Count < MaxPooledDirectBuffers)
        {
            _directBuffers.Push(buffer);
        }
    }

    private static unsafe int AlignedStart(byte[] pinned, int alignment)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((alignment - (address % alignment)) % alignment);
    }
}
