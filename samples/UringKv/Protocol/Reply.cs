using System.Buffers;

namespace UringKv.Protocol;

/// <summary>
/// One command's reply, produced on the shard that ran it and encoded on the connection that asked: a value, not
/// bytes, so a shard never touches another connection's output buffer.
/// </summary>
internal readonly struct Reply
{
    // The buffers of FromBulkCopy: rented on the shard's worker and returned on the connection's, which is another
    // worker's for a forwarded request. ArrayPool<byte>.Shared keeps few arrays beyond each thread's own, so a
    // steady flow from one worker to another would allocate most of them; this pool keeps enough for that flow.
    private static readonly ArrayPool<byte> s_copies = ArrayPool<byte>.Create(maxArrayLength: 4096, maxArraysPerBucket: 4096);

    private Reply(ReplyKind kind, long integer, object? payload)
    {
        Kind = kind;
        Integer = integer;
        Payload = payload;
    }

    public ReplyKind Kind { get; }

    public long Integer { get; }

    public object? Payload { get; }

    public static Reply Ok { get; } = new(ReplyKind.Raw, 0, "+OK\r\n"u8.ToArray());

    public static Reply Nil { get; } = new(ReplyKind.Raw, 0, "$-1\r\n"u8.ToArray());

    public static Reply EmptyArray { get; } = new(ReplyKind.Raw, 0, "*0\r\n"u8.ToArray());

    /// <summary>Nothing is sent (an empty request).</summary>
    public static Reply None { get; } = new(ReplyKind.None, 0, null);

    public static Reply FromInteger(long value) => new(ReplyKind.Integer, value, null);

    public static Reply FromBulk(byte[]? value) => value is null ? Nil : new(ReplyKind.Bulk, 0, value);

    /// <summary>
    /// A bulk string copied into a pooled buffer (values of up to 4 KiB are pooled), which goes back to the pool
    /// when the reply is written: for a value whose memory may be reused before then. Such a reply is written once.
    /// </summary>
    public static Reply FromBulkCopy(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return new(ReplyKind.Bulk, 0, Array.Empty<byte>());
        }

        byte[] copy = s_copies.Rent(value.Length);
        value.CopyTo(copy);
        return new(ReplyKind.PooledBulk, value.Length, copy);
    }

    /// <summary>The bytes of a <see cref="ReplyKind.Bulk"/> or <see cref="ReplyKind.PooledBulk"/> reply.</summary>
    public ReadOnlySpan<byte> Bulk => Kind == ReplyKind.PooledBulk ? ((byte[])Payload!).AsSpan(0, (int)Integer) : (byte[])Payload!;

    public static Reply FromError(string message) => new(ReplyKind.Error, 0, message);

    public static Reply FromSimple(string text) => new(ReplyKind.Simple, 0, text);

    public static Reply FromArray(Reply[] items) => new(ReplyKind.Array, 0, items);

    public void WriteTo(RespWriter writer)
    {
        switch (Kind)
        {
            case ReplyKind.None:
                break;
            case ReplyKind.Integer:
                writer.WriteInteger(Integer);
                break;
            case ReplyKind.Bulk:
                writer.WriteBulk((byte[])Payload!);
                break;
            case ReplyKind.PooledBulk:
                writer.WriteBulk(((byte[])Payload!).AsSpan(0, (int)Integer));
                s_copies.Return((byte[])Payload!);
                break;
            case ReplyKind.Error:
                writer.WriteError((string)Payload!);
                break;
            case ReplyKind.Simple:
                writer.WriteSimpleString((string)Payload!);
                break;
            case ReplyKind.Raw:
                writer.WriteRaw((byte[])Payload!);
                break;
            case ReplyKind.Array:
                Reply[] items = (Reply[])Payload!;
                writer.WriteArrayHeader(items.Length);
                foreach (Reply item in items)
                {
                    item.WriteTo(writer);
                }

                break;
        }
    }
}

/// <summary>The RESP type of a <see cref="Reply"/>.</summary>
internal enum ReplyKind
{
    None,
    Integer,
    Bulk,

    /// <summary>A bulk string in a pooled buffer (<see cref="Reply.FromBulkCopy"/>): <see cref="Reply.Integer"/> is its length.</summary>
    PooledBulk,
    Error,
    Simple,
    Raw,
    Array,
}
