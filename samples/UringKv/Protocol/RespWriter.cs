using System.Buffers.Text;
using System.Text;

namespace UringKv.Protocol;

/// <summary>
/// Encodes RESP2 replies into one connection's output buffer. The buffer grows to hold what is written before the
/// next flush; the connection flushes it once it passes <see cref="FlushThreshold"/>, so pipelined replies go out in
/// batches and a long pipeline does not pile up its replies in memory.
/// </summary>
internal sealed class RespWriter
{
    /// <summary>Buffered bytes past which the connection sends what it has before writing more replies.</summary>
    public const int FlushThreshold = 64 * 1024;

    private const int InitialSize = 16 * 1024;

    private byte[] _buffer = new byte[InitialSize];
    private int _length;

    /// <summary>Bytes written and not yet sent.</summary>
    public int Length => _length;

    /// <summary>The bytes written since the last <see cref="Clear"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>Forgets what was sent; a buffer grown by a large reply goes back to its initial size.</summary>
    public void Clear()
    {
        _length = 0;
        if (_buffer.Length > 4 * FlushThreshold)
        {
            _buffer = new byte[InitialSize];
        }
    }

    public void WriteSimpleString(string text)
    {
        Span<byte> span = GetSpan(text.Length + 3);
        span[0] = (byte)'+';
        int n = Encoding.ASCII.GetBytes(text, span[1..]);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        _length += n + 3;
    }

    /// <summary>Writes an error reply; <paramref name="message"/> starts with its code (ERR, WRONGTYPE, NOPROTO...).</summary>
    public void WriteError(string message)
    {
        // Newlines would end the reply early: Redis replaces them with blanks as well.
        int max = Encoding.UTF8.GetMaxByteCount(message.Length);
        Span<byte> span = GetSpan(max + 3);
        span[0] = (byte)'-';
        int n = Encoding.UTF8.GetBytes(message, span[1..]);
        for (int i = 1; i <= n; i++)
        {
            if (span[i] is (byte)'\r' or (byte)'\n')
            {
                span[i] = (byte)' ';
            }
        }

        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        _length += n + 3;
    }

    public void WriteInteger(long value) => WritePrefixed((byte)':', value);

    public void WriteArrayHeader(int count) => WritePrefixed((byte)'*', count);

    public void WriteNullBulk() => WriteRaw("$-1\r\n"u8);

    public void WriteNullArray() => WriteRaw("*-1\r\n"u8);

    public void WriteBulk(ReadOnlySpan<byte> value)
    {
        WritePrefixed((byte)'$', value.Length);
        WriteRaw(value);
        WriteRaw("\r\n"u8);
    }

    public void WriteBulk(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        WriteBulk(bytes);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    private void WritePrefixed(byte prefix, long value)
    {
        Span<byte> span = GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        _length += n + 3;
    }

    private Span<byte> GetSpan(int size)
    {
        if (_buffer.Length - _length < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }

        return _buffer.AsSpan(_length);
    }
}
