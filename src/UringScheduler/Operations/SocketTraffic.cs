namespace UringScheduler.Operations;

/// <summary>What a completed socket request adds to its owner's counters.</summary>
internal enum SocketTraffic
{
    ConnectionAccepted,
    BytesReceived,
    BytesSent,
}
