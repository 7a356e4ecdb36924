namespace UringKv.Protocol;

/// <summary>
/// One command's reply, produced on the shard that ran it and encoded on the connection that asked: a value, not
/// bytes, so a shard never touches another connection's output buffer.
/// </summary>
internal readonly struct Reply
{
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
    Error,
    Simple,
    Raw,
    Array,
}
