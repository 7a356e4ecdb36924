using UringScheduler;

namespace UringKv.Storage;

/// <summary>Called for each intact record of a segment, in file order.</summary>
internal delegate void RecordVisitor(long offset, in RecordHeader header, ReadOnlySpan<byte> record);

/// <summary>Reads a segment front to back in large chunks and hands each intact record to a visitor.</summary>
internal static class SegmentScanner
{
    private const int ChunkSize = 1024 * 1024;

    /// <summary>
    /// Visits the records of <paramref name="file"/> up to <paramref name="length"/> bytes and returns the length of
    /// the valid prefix: it stops at the first record that is torn (cut short) or corrupt (impossible header, checksum
    /// mismatch). <paramref name="betweenChunks"/> runs after each chunk (compaction writes its output there).
    /// </summary>
    public static async Task<long> ScanAsync(UringFile file, long length, RecordVisitor visitor, Func<Task>? betweenChunks = null)
    {
        byte[] buffer = new byte[ChunkSize];
        long bufferOffset = 0; // file offset of buffer[0]
        int filled = 0;
        int cursor = 0;
        while (true)
        {
            if (filled - cursor < LogRecord.HeaderSize)
            {
                if (betweenChunks is not null)
                {
                    await betweenChunks();
                }

                (buffer, bufferOffset, filled, cursor) = await RefillAsync(file, length, buffer, bufferOffset, filled, cursor, LogRecord.HeaderSize);
                if (filled - cursor < LogRecord.HeaderSize)
                {
                    break;
                }
            }

            if (!LogRecord.TryReadHeader(buffer.AsSpan(cursor), out RecordHeader header))
            {
                break;
            }

            int size = header.RecordSize;
            if (filled - cursor < size)
            {
                if (bufferOffset + cursor + size > length)
                {
                    break; // torn: the record runs past the end of the file
                }

                if (betweenChunks is not null)
                {
                    await betweenChunks();
                }

                (buffer, bufferOffset, filled, cursor) = await RefillAsync(file, length, buffer, bufferOffset, filled, cursor, size);
                if (filled - cursor < size)
                {
                    break;
                }
            }

            ReadOnlySpan<byte> record = buffer.AsSpan(cursor, size);
            if (!LogRecord.IsIntact(record, header.Checksum))
            {
                break;
            }

            visitor(bufferOffset + cursor, header, record);
            cursor += size;
        }

        return bufferOffset + cursor;
    }

    // Moves the unread bytes to the front and reads until at least `wanted` bytes are buffered (or the file ends).
    private static async Task<(byte[] Buffer, long BufferOffset, int Filled, int Cursor)> RefillAsync(
        UringFile file, long length, byte[] buffer, long bufferOffset, int filled, int cursor, int wanted)
    {
        if (buffer.Length < wanted)
        {
            byte[] larger = new byte[Math.Max(wanted, ChunkSize)];
            buffer.AsSpan(cursor, filled - cursor).CopyTo(larger);
            buffer = larger;
        }
        else
        {
            buffer.AsSpan(cursor, filled - cursor).CopyTo(buffer);
        }

        bufferOffset += cursor;
        filled -= cursor;
        cursor = 0;
        while (filled < buffer.Length && bufferOffset + filled < length)
        {
            int toRead = (int)Math.Min(buffer.Length - filled, length - (bufferOffset + filled));
            int n = await file.ReadAsync(buffer.AsMemory(filled, toRead), bufferOffset + filled);
            if (n == 0)
            {
                break;
            }

            filled += n;
            if (filled >= wanted && filled >= ChunkSize / 2)
            {
                break;
            }
        }

        return (buffer, bufferOffset, filled, cursor);
    }
}
