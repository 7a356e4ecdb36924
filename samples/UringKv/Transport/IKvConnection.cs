using System.Net;

namespace UringKv.Transport;

/// <summary>One client connection, as the server needs it: receive into a buffer, send a whole buffer, close.</summary>
/// <remarks>Calls are made on the worker that accepted the connection, one receive and one send at a time.</remarks>
internal interface IKvConnection : IDisposable
{
    EndPoint? RemoteEndPoint { get; }

    /// <summary>Receives what has arrived (at least one byte), or 0 when the peer closed the connection.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends every byte of <paramref name="buffer"/>; completes with its length.</summary>
    ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);
}
