using System.Net.Sockets;

namespace UringScheduler.Soak.Mixes;

/// <summary>
/// The echo side of the socket mix: a TCP listener on 127.0.0.1 (a socket per worker) and a Unix domain listener, an
/// accept loop per worker on each, and each connection echoed on the worker that accepted it. A connection ends when
/// the peer closes (receive 0) or resets it: legal ends are 0, SocketException ConnectionReset on a receive, and
/// ConnectionReset or Shutdown (EPIPE) on a send. Anything else is unexpected. Every other connection receives into
/// buffers lent by its worker (leased receives: a multishot receive into a provided buffer ring on io_uring).
/// </summary>
internal sealed class EchoServer(SoakContext context)
{
    private const string Kind = "echo.server";
    private readonly List<UringListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private int _connections;

    public void Start()
    {
        UringRuntime runtime = context.Runtime;
        UringListener tcp = UringListener.Bind(runtime, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
            new UringListenerOptions { Distribution = UringListenerDistribution.PerWorker });
        UringListener unix = UringListener.Bind(runtime, new UnixDomainSocketEndPoint(context.Data.SocketPath));
        _listeners.Add(tcp);
        _listeners.Add(unix);
        context.TcpEndPoint = tcp.LocalEndPoint;
        context.UnixEndPoint = unix.LocalEndPoint;
        foreach (UringWorker worker in runtime.Workers)
        {
            foreach (UringListener listener in _listeners)
            {
                _acceptLoops.Add(worker.RunAsync(() => AcceptLoopAsync(listener)));
            }
        }
    }

    /// <summary>Closes the listeners; the accept loops end.</summary>
    public async Task StopAsync(TimeSpan limit)
    {
        foreach (UringListener listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        Task all = Task.WhenAll(_acceptLoops);
        if (await Task.WhenAny(all, Task.Delay(limit)) != all)
        {
            context.Findings.Mismatch(Kind, $"an accept loop did not end within {limit.TotalSeconds} s of its listener's dispose");
        }
    }

    private async Task AcceptLoopAsync(UringListener listener)
    {
        while (true)
        {
            UringSocket connection;
            try
            {
                connection = await listener.AcceptAsync();
            }
            catch (Exception e) when (context.Stopping && e is ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                context.Findings.UnexpectedError(Kind, e, "accept");
                if (context.Stopping)
                {
                    return;
                }

                continue;
            }

            context.Findings[Kind + ".accept"].Count();
            context.ServerConnectionOpened();
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(UringSocket connection)
    {
        UringWorker? worker = UringWorker.Current;
        byte[] buffer = new byte[16384];
        bool leased = Interlocked.Increment(ref _connections) % 2 == 0;
        Tally tally = context.Findings[leased ? Kind + ".leased" : Kind];
        UringReceivedBuffer lease = default;
        try
        {
            while (true)
            {
                int n;
                try
                {
                    lease.Dispose();
                    if (leased)
                    {
                        lease = await connection.ReceiveBufferAsync();
                        n = lease.Length;
                    }
                    else
                    {
                        n = await connection.ReceiveAsync(buffer);
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    tally.Count();
                    context.Findings.Outcome(Kind, "receive: ConnectionReset");
                    return;
                }

                tally.Count();
                if (n == 0)
                {
                    context.Findings.Outcome(Kind, "receive: 0 (peer closed)");
                    return;
                }

                try
                {
                    await connection.SendAsync(leased ? lease.Memory : buffer.AsMemory(0, n));
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
                {
                    tally.Count();
                    context.Findings.Outcome(Kind, $"send: {e.SocketErrorCode}");
                    return;
                }

                tally.Count();
                if (!ReferenceEquals(UringWorker.Current, worker))
                {
                    context.Findings.Mismatch(Kind, $"a connection accepted on {worker} resumed on {UringWorker.Current?.ToString() ?? "no worker"}");
                }
            }
        }
        catch (Exception e)
        {
            context.Findings.UnexpectedError(Kind, e, connection.ToString());
        }
        finally
        {
            lease.Dispose();
            connection.Dispose();
            context.ServerConnectionClosed();
        }
    }
}
