using System.Net;
using System.Net.Sockets;

namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Echo connections over loopback TCP or a Unix domain socket, each with a stream of pattern bytes (key per connection):
/// - exchange: connect through the ring, send 1 B-256 KiB in random chunks while receiving concurrently, every byte
///   checked; sometimes a receive cancelled while nothing is due (must be OperationCanceledException, and the
///   connection stays usable); then shut down the send side: the next receive must be 0 (all echoed, nothing more);
/// - reset: connect with SO_LINGER 0 (adopted with FromSocket), exchange some bytes, then close abortively, sometimes
///   with a receive in flight, which must end with ObjectDisposedException or OperationCanceledException, or bring
///   bytes that are checked.
/// Run with no worker, the same from ThreadPool threads: the sockets are served by a worker of the runtime and the
/// loop resumes off the runtime.
/// </summary>
internal sealed class EchoClientLoop(SoakContext context, UringWorker? worker, bool unix) : SoakLoop(context, worker)
{
    private const int MaxChunk = 16384;
    private readonly byte[] _send = new byte[MaxChunk];
    private readonly byte[] _receive = new byte[MaxChunk];
    private readonly string _transport = unix ? "unix" : "tcp";

    private EndPoint EndPoint => (unix ? Context.UnixEndPoint : Context.TcpEndPoint)!;

    public override async Task StepAsync()
    {
        if (Random.Next(3) == 0)
        {
            await ResetAsync();
        }
        else
        {
            await ExchangeAsync();
        }

        CheckThread(Kind);
    }

    private async Task ExchangeAsync()
    {
        Kind = $"{Prefix}echo.{_transport}.exchange";
        using UringSocket socket = await UringSocket.ConnectAsync(EndPoint);
        Count();
        ulong key = (ulong)Random.NextInt64();
        long total = Random.Next(1, 256 << 10);
        if (!await RoundTripAsync(socket, key, total))
        {
            return;
        }

        if (Random.Next(4) == 0)
        {
            Kind = $"{Prefix}echo.{_transport}.cancel-receive";
            using var cts = new CancellationTokenSource();
            ValueTask<int> receive = socket.ReceiveAsync(_receive, cts.Token);
            if (Random.Next(2) == 0)
            {
                await (Worker ?? Context.Runtime.Workers[0]).DelayAsync(TimeSpan.FromMicroseconds(Random.Next(0, 1000)));
                cts.Cancel();
            }
            else
            {
                cts.CancelAfter(Random.Next(0, 3));
            }

            (bool cancelled, int n) = await CatchCancel(receive);
            Count();
            if (!cancelled)
            {
                Mismatch($"a receive with nothing due, cancelled, returned {n}");
                return;
            }

            // Still usable: one more round trip.
            Kind = $"{Prefix}echo.{_transport}.exchange";
            long more = Random.Next(1, 4096);
            if (!await RoundTripAsync(socket, key, more, total))
            {
                return;
            }

            total += more;
        }

        socket.Shutdown(SocketShutdown.Send);
        int last = await socket.ReceiveAsync(_receive);
        Count();
        if (last != 0)
        {
            Mismatch($"after {total} bytes echoed and the send side shut down, a receive gave {last} bytes instead of 0");
        }
    }

    private async Task ResetAsync()
    {
        Kind = $"{Prefix}echo.{_transport}.reset";
        Socket plain = unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        UringSocket socket;
        try
        {
            plain.LingerState = new LingerOption(true, 0);
            plain.Connect(EndPoint); // loopback: completes at once
            socket = UringSocket.FromSocket(plain);
        }
        catch
        {
            plain.Dispose();
            throw;
        }

        Count();
        ulong key = (ulong)Random.NextInt64();
        long total = Random.Next(1, 64 << 10);
        long echoedBack = Random.Next(0, (int)total + 1);
        try
        {
            Task sending = SendAsync(socket, key, total);
            long received = await ReceiveAsync(socket, key, echoedBack);
            if (received < echoedBack)
            {
                socket.Dispose();
                await IgnoreEnd(sending);
                return;
            }

            await sending;

            if (Random.Next(2) == 0)
            {
                // Close with a receive in flight (echoed bytes may be arriving).
                Memory<byte> window = _receive.AsMemory(0, (int)Math.Min(MaxChunk, total - received));
                ValueTask<int> receive = window.IsEmpty ? socket.ReceiveAsync(_receive.AsMemory(0, 1)) : socket.ReceiveAsync(window);
                socket.Dispose();
                try
                {
                    int n = await receive;
                    Count();
                    Outcome("receive in flight at close: data");
                    if (n <= 0 || received + n > total)
                    {
                        Mismatch($"a receive in flight when its socket closed returned {n} (received {received} of {total})");
                    }
                    else
                    {
                        CheckRead($"bytes received as the socket closed", n, n, _receive.AsSpan(0, n), key, received);
                    }
                }
                catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
                {
                    Count();
                    Outcome($"receive in flight at close: {e.GetType().Name}");
                }
            }
        }
        finally
        {
            socket.Dispose();
            Count();
        }
    }

    /// <summary>Sends <paramref name="total"/> bytes while receiving and checking their echo; false (a mismatch counted, the socket closed) when they did not all come back.</summary>
    private async Task<bool> RoundTripAsync(UringSocket socket, ulong key, long total, long start = 0)
    {
        Task sending = SendAsync(socket, key, total, start);
        long received = await ReceiveAsync(socket, key, total, start);
        if (received < total)
        {
            // The sender may wait on a peer that no longer reads: close to end it.
            socket.Dispose();
            await IgnoreEnd(sending);
            return false;
        }

        await sending;
        return true;
    }

    private static async Task IgnoreEnd(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
    }

    private async Task SendAsync(UringSocket socket, ulong key, long total, long start = 0)
    {
        long sent = 0;
        while (sent < total)
        {
            int chunk = (int)Math.Min(Random.Next(1, MaxChunk + 1), total - sent);
            Pattern.Fill(_send.AsSpan(0, chunk), key, start + sent);
            int n = await socket.SendAsync(_send.AsMemory(0, chunk));
            Count();
            if (n != chunk)
            {
                Mismatch($"a send of {chunk} bytes returned {n}");
                return;
            }

            sent += chunk;
        }
    }

    /// <summary>Receives and checks <paramref name="total"/> echoed bytes; returns how many came (less: a mismatch was counted).</summary>
    private async Task<long> ReceiveAsync(UringSocket socket, ulong key, long total, long start = 0)
    {
        long received = 0;
        while (received < total)
        {
            int want = (int)Math.Min(MaxChunk, total - received);
            int n = await socket.ReceiveAsync(_receive.AsMemory(0, want));
            Count();
            if (n <= 0 || n > want)
            {
                Mismatch($"receive gave {n} after {received} of {total} echoed bytes");
                return received;
            }

            if (!CheckRead($"echoed bytes at {start + received}", n, n, _receive.AsSpan(0, n), key, start + received))
            {
                return received;
            }

            received += n;
        }

        return received;
    }
}
