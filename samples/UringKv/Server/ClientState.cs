namespace UringKv.Server;

/// <summary>What the server knows about one client connection (CLIENT SETNAME, SETINFO, ...).</summary>
internal sealed class ClientState(long id, string address)
{
    public long Id { get; } = id;

    public string Address { get; } = address;

    public string? Name { get; set; }

    public string? LibraryName { get; set; }

    public string? LibraryVersion { get; set; }

    public DateTime ConnectedAt { get; } = DateTime.UtcNow;

    /// <summary>QUIT was received: reply, then close.</summary>
    public bool CloseAfterReply { get; set; }
}
