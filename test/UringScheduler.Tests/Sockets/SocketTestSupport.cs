using System.Net;
using System.Net.Sockets;

namespace UringScheduler.Tests.Sockets;

internal static class SocketTestSupport
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static string[] Families => ["ipv4", "ipv6", "unix"];

    public static EndPoint ListenAddress(string family) => family switch
    {
        "ipv4" => new IPEndPoint(IPAddress.Loopback, 0),
        "ipv6" => new IPEndPoint(IPAddress.IPv6Loopback, 0),
        "unix" => new UnixDomainSocketEndPoint(TestFiles.NewPath("uring-sock") + ".sock"),
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    /// <summary>A connected pair made on <paramref name="runtime"/>'s workers: the server side accepted on worker 0, the client connected from worker 1.</summary>
    public static async Task<(UringSocket Server, UringSocket Client)> PairAsync(UringRuntime runtime, UringListener listener)
    {
        Task<UringSocket> accepted = runtime.Workers[0].RunAsync(async () => await listener.AcceptAsync());
        UringSocket client = await runtime.Workers[1 % runtime.Workers.Count].RunAsync(async () => await UringSocket.ConnectAsync(listener.LocalEndPoint));
        UringSocket server = await accepted.WaitAsync(Bound);
        return (server, client);
    }

    /// <summary>A plain .NET socket connected to <paramref name="endPoint"/>.</summary>
    public static async Task<Socket> ConnectPlainAsync(EndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    /// <summary>Receives exactly <paramref name="count"/> bytes (or fewer if the peer closes).</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(UringSocket socket, int count)
    {
        byte[] data = new byte[count];
        int total = 0;
        while (total < count)
        {
            int n = await socket.ReceiveAsync(data.AsMemory(total));
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return data.AsSpan(0, total).ToArray();
    }
}
