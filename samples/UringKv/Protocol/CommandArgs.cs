namespace UringKv.Protocol;

/// <summary>The arguments of one parsed request, as spans over the connection's buffer (valid until it moves on).</summary>
internal readonly ref struct CommandArgs(RespParser parser, ReadOnlySpan<byte> request)
{
    private readonly ReadOnlySpan<byte> _request = request;

    public int Count => parser.ArgumentCount;

    public ReadOnlySpan<byte> this[int index] => parser.GetArgument(_request, index);
}
