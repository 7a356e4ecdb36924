using System.Buffers.Binary;
using System.IO.Hashing;
using UringKv.Protocol;

namespace UringKv.Storage;

/// <summary>
/// The on-disk record of the log, little-endian:
/// <code>
///  0  u32  CRC32C of bytes 4 .. end of record
///  4  u32  key length
///  8  u32  value length (0 for Delete and Flush)
/// 12  u8   type (1 Put, 2 Delete, 3 Flush)
/// 13  u8×3 zero
/// 16  u64  sequence number (per shard, increasing; the newest record of a key wins)
/// 24  key bytes, then value bytes
/// </code>
/// </summary>
internal static class LogRecord
{
    public const int HeaderSize = 24;

    /// <summary>The largest record a valid log holds: a key and a value of the protocol's largest bulk size.</summary>
    public const long MaxRecordSize = HeaderSize + 2L * RespLimits.MaxBulkLength;

    public static int SizeOf(int keyLength, int valueLength) => HeaderSize + keyLength + valueLength;

    /// <summary>Writes a record into <paramref name="destination"/> (exactly <see cref="SizeOf"/> bytes).</summary>
    public static void Write(Span<byte> destination, RecordType type, ulong sequence, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)key.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)value.Length);
        destination[12] = (byte)type;
        destination[13] = 0;
        destination[14] = 0;
        destination[15] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], sequence);
        key.CopyTo(destination[HeaderSize..]);
        value.CopyTo(destination[(HeaderSize + key.Length)..]);
        int size = SizeOf(key.Length, value.Length);
        uint crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, destination[4..size]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, crc);
    }

    /// <summary>
    /// Reads a header; false when it cannot be the header of a valid record (unknown type, non-zero padding, lengths
    /// beyond the limits). The checksum is checked by <see cref="IsIntact"/> once the whole record is there.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out RecordHeader result)
    {
        result = default;
        uint keyLength = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        uint valueLength = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        var type = (RecordType)header[12];
        if (header[13] != 0 || header[14] != 0 || header[15] != 0
            || keyLength > RespLimits.MaxBulkLength || valueLength > RespLimits.MaxBulkLength)
        {
            return false;
        }

        bool shapeValid = type switch
        {
            RecordType.Put => true,
            RecordType.Delete => valueLength == 0,
            RecordType.Flush => keyLength == 0 && valueLength == 0,
            _ => false,
        };
        if (!shapeValid)
        {
            return false;
        }

        result = new RecordHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(header),
            (int)keyLength,
            (int)valueLength,
            type,
            BinaryPrimitives.ReadUInt64LittleEndian(header[16..]));
        return true;
    }

    /// <summary>Whether the whole record (header included) matches its checksum.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> record, uint checksum) =>
        Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, record[4..]) == checksum;

    /// <summary>
    /// Whether <paramref name="record"/> is a whole, intact <see cref="RecordType.Put"/> record of
    /// <paramref name="recordSize"/> bytes for <paramref name="key"/>: what a value read back must be before it is served.
    /// </summary>
    public static bool IsPutOf(ReadOnlySpan<byte> record, int recordSize, ReadOnlySpan<byte> key) =>
        TryReadHeader(record, out RecordHeader header) && header.Type == RecordType.Put
        && header.RecordSize == recordSize && record.Length >= recordSize && IsIntact(record[..recordSize], header.Checksum)
        && record.Slice(HeaderSize, header.KeyLength).SequenceEqual(key);

    /// <summary>The value of a record that <see cref="IsPutOf"/> accepted.</summary>
    public static ReadOnlySpan<byte> ValueOf(ReadOnlySpan<byte> record, int recordSize, int keyLength) =>
        record[(HeaderSize + keyLength)..recordSize];
}

/// <summary>A decoded record header.</summary>
internal readonly record struct RecordHeader(uint Checksum, int KeyLength, int ValueLength, RecordType Type, ulong Sequence)
{
    public int RecordSize => LogRecord.SizeOf(KeyLength, ValueLength);
}
