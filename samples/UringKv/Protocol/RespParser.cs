namespace UringKv.Protocol;

/// <summary>
/// An incremental parser of client requests: RESP multibulk arrays (<c>*N\r\n$L\r\nbytes\r\n...</c>) and inline
/// commands (<c>PING\r\n</c>, as redis-benchmark's PING_INLINE and telnet send them). One per connection.
/// </summary>
/// <remarks>
/// The parser is resumable: a request that arrives in pieces is parsed once, not again from its start on every
/// receive. Positions are relative to the start of the request, so the caller may move the unparsed bytes within its
/// buffer between calls as long as the request keeps its first byte at the start of the span it passes. Every length
/// a client declares is checked against <see cref="RespLimits"/> before the caller is told to make room for it, and
/// the argument table grows with the arguments actually received, not with the count a client announces.
/// </remarks>
internal sealed class RespParser
{
    private ArgRange[] _args = new ArgRange[16];
    private byte[]? _scratch;          // inline arguments, unquoted
    private int _argCount;
    private bool _inline;
    private int _multiBulkCount = -1;  // -1: no request header parsed yet
    private int _bulkLength = -1;      // -1: the next bulk's "$L" header is not parsed yet
    private int _position;             // where parsing resumes, relative to the request's first byte

    /// <summary>Arguments of the last complete request.</summary>
    public int ArgumentCount => _argCount;

    /// <summary>The protocol error of the last <see cref="ParseStatus.Error"/>, without the "ERR Protocol error: " prefix.</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// Parses what <paramref name="data"/> holds of one request, resuming where the previous call stopped.
    /// </summary>
    /// <param name="data">The buffered bytes, starting with the request's first byte.</param>
    /// <param name="consumed">On <see cref="ParseStatus.Complete"/>: the request's length in bytes.</param>
    /// <param name="needed">On <see cref="ParseStatus.Incomplete"/>: the buffered length needed to make progress
    /// (at most <see cref="RespLimits.MaxRequestBytes"/>).</param>
    public ParseStatus TryParse(ReadOnlySpan<byte> data, out int consumed, out int needed)
    {
        consumed = 0;
        needed = 0;
        if (_multiBulkCount < 0)
        {
            if (data.IsEmpty)
            {
                needed = 1;
                return ParseStatus.Incomplete;
            }

            if (data[0] != (byte)'*')
            {
                return ParseInline(data, out consumed, out needed);
            }

            int newline = data.IndexOf((byte)'\r');
            if (newline < 0 || newline + 1 >= data.Length)
            {
                if (data.Length > RespLimits.MaxInlineLength)
                {
                    return Fail("too big mbulk count string");
                }

                needed = data.Length + 1;
                return ParseStatus.Incomplete;
            }

            if (!TryParseInt64(data[1..newline], out long count) || count > RespLimits.MaxMultiBulkCount)
            {
                return Fail("invalid multibulk length");
            }

            _inline = false;
            _argCount = 0;
            _position = newline + 2;
            if (_args.Length > 1024)
            {
                _args = new ArgRange[16]; // a huge request grew the table; do not keep it for the connection's life
            }

            if (count <= 0)
            {
                // "*0" and "*-1" are empty requests: consumed, nothing to run.
                consumed = _position;
                Reset();
                return ParseStatus.Complete;
            }

            _multiBulkCount = (int)count;
        }

        while (_argCount < _multiBulkCount)
        {
            if (_bulkLength < 0)
            {
                ReadOnlySpan<byte> rest = data[_position..];
                int newline = rest.IndexOf((byte)'\r');
                if (newline < 0 || newline + 1 >= rest.Length)
                {
                    if (rest.Length > RespLimits.MaxInlineLength)
                    {
                        return Fail("too big bulk count string");
                    }

                    needed = data.Length + 1;
                    return ParseStatus.Incomplete;
                }

                if (rest[0] != (byte)'$')
                {
                    return Fail($"expected '$', got '{(char)rest[0]}'");
                }

                if (!TryParseInt64(rest[1..newline], out long length) || length < 0 || length > RespLimits.MaxBulkLength)
                {
                    return Fail("invalid bulk length");
                }

                _bulkLength = (int)length;
                _position += newline + 2;
            }

            long end = (long)_position + _bulkLength + 2;
            if (end > RespLimits.MaxRequestBytes)
            {
                return Fail("too big request");
            }

            if (data.Length < end)
            {
                needed = (int)end;
                return ParseStatus.Incomplete;
            }

            AddArgument(new ArgRange(_position, _bulkLength));
            _position = (int)end;
            _bulkLength = -1;
        }

        consumed = _position;
        _multiBulkCount = -1;
        _bulkLength = -1;
        _position = 0;
        return ParseStatus.Complete; // the argument table stays as it is until the next request starts
    }

    /// <summary>Argument <paramref name="index"/> of the last complete request, parsed from <paramref name="data"/>.</summary>
    public ReadOnlySpan<byte> GetArgument(ReadOnlySpan<byte> data, int index)
    {
        ArgRange range = _args[index];
        return _inline ? _scratch.AsSpan(range.Start, range.Length) : data.Slice(range.Start, range.Length);
    }

    private ParseStatus ParseInline(ReadOnlySpan<byte> data, out int consumed, out int needed)
    {
        consumed = 0;
        needed = 0;
        int newline = data[..Math.Min(data.Length, RespLimits.MaxInlineLength + 1)].IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (data.Length > RespLimits.MaxInlineLength)
            {
                return Fail("too big inline request");
            }

            needed = data.Length + 1;
            return ParseStatus.Incomplete;
        }

        ReadOnlySpan<byte> line = data[..newline];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        _inline = true;
        _argCount = 0;
        _scratch ??= new byte[RespLimits.MaxInlineLength];
        if (!SplitInline(line))
        {
            _argCount = 0;
            return Fail("unbalanced quotes in request");
        }

        consumed = newline + 1;
        return ParseStatus.Complete;
    }

    // Splits an inline line into arguments as Redis's sdssplitargs does: blanks separate, "double quotes" take
    // \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \' only; a closing quote must be followed by a blank.
    private bool SplitInline(ReadOnlySpan<byte> line)
    {
        byte[] scratch = _scratch!;
        int write = 0;
        int i = 0;
        while (true)
        {
            while (i < line.Length && IsBlank(line[i]))
            {
                i++;
            }

            if (i >= line.Length)
            {
                return true;
            }

            int start = write;
            bool inDouble = false;
            bool inSingle = false;
            while (true)
            {
                if (inDouble)
                {
                    if (i >= line.Length)
                    {
                        return false;
                    }

                    byte c = line[i];
                    if (c == (byte)'\\' && i + 3 < line.Length && line[i + 1] == (byte)'x' && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                    {
                        scratch[write++] = (byte)((HexValue(line[i + 2]) << 4) | HexValue(line[i + 3]));
                        i += 4;
                    }
                    else if (c == (byte)'\\' && i + 1 < line.Length)
                    {
                        scratch[write++] = line[i + 1] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            byte other => other,
                        };
                        i += 2;
                    }
                    else if (c == (byte)'"')
                    {
                        i++;
                        if (i < line.Length && !IsBlank(line[i]))
                        {
                            return false;
                        }

                        break;
                    }
                    else
                    {
                        scratch[write++] = c;
                        i++;
                    }
                }
                else if (inSingle)
                {
                    if (i >= line.Length)
                    {
                        return false;
                    }

                    byte c = line[i];
                    if (c == (byte)'\\' && i + 1 < line.Length && line[i + 1] == (byte)'\'')
                    {
                        scratch[write++] = (byte)'\'';
                        i += 2;
                    }
                    else if (c == (byte)'\'')
                    {
                        i++;
                        if (i < line.Length && !IsBlank(line[i]))
                        {
                            return false;
                        }

                        break;
                    }
                    else
                    {
                        scratch[write++] = c;
                        i++;
                    }
                }
                else
                {
                    if (i >= line.Length || IsBlank(line[i]))
                    {
                        break;
                    }

                    byte c = line[i];
                    if (c == (byte)'"')
                    {
                        inDouble = true;
                    }
                    else if (c == (byte)'\'')
                    {
                        inSingle = true;
                    }
                    else
                    {
                        scratch[write++] = c;
                    }

                    i++;
                }
            }

            AddArgument(new ArgRange(start, write - start));
        }
    }

    private void AddArgument(ArgRange range)
    {
        if (_argCount == _args.Length)
        {
            Array.Resize(ref _args, _args.Length * 2);
        }

        _args[_argCount++] = range;
    }

    private ParseStatus Fail(string message)
    {
        Error = message;
        Reset();
        return ParseStatus.Error;
    }

    /// <summary>Forgets a request parsed in part (its connection is gone).</summary>
    public void Reset()
    {
        _multiBulkCount = -1;
        _bulkLength = -1;
        _position = 0;
        _argCount = 0;
    }

    /// <summary>Parses a decimal integer as Redis's string2ll does: optional '-', digits, no blanks, no '+', no leading zeros.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        bool negative = text[0] == (byte)'-';
        int i = negative ? 1 : 0;
        if (i >= text.Length || text[i] < (byte)'1' || text[i] > (byte)'9')
        {
            return false;
        }

        ulong magnitude = 0;
        for (; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - (byte)'0');
            if (digit > 9 || magnitude > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            magnitude = magnitude * 10 + digit;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = (long)(0 - magnitude);
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    private static bool IsBlank(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
