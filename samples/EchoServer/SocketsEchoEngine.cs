using System.Net;
using System.Net.Sockets;

namespace EchoServer;

/// <summary>
/// The echo server written the ordinary .NET way: one listening <see cref="Socket"/>, <c>workers</c> accept loops
/// awaiting <see cref="Socket.AcceptAsync(CancellationToken)"/> on it, and per connection one receive/send loop with
/// its own buffer. Everything runs on the .NET ThreadPool, whose I/O completions come from the runtime's epoll
/// thread: this is the engine the rings are compared against.
/// </summary>
internal sealed class SocketsEchoEngine : IEchoEngine
{
    private const int BufferSize = 16 * 1024;

    private readonly object _lock = new();
    private readonly HashSet<Socket> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private Task[] _acceptLoops = [];
    private bool _stopping;
    private long _connections;
    private long _bytes;

    public string Name => "sockets";

    public EndPoint LocalEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("The engine is not started.");

    public void Start(IPEndPoint endPoint, int workers, int backlog)
    {
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoops = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            _acceptLoops[i] = AcceptLoopAsync(listener);
        }
    }

    public async Task<EchoTotals> StopAsync()
    {
        Socket[] open;
        lock (_lock)
        {
            _stopping = true;
            open = [.. _open];
            if (_open.Count == 0)
            {
                _drained.TrySetResult();
            }
        }

        _stop.Cancel();
        _listener?.Dispose();
        await Task.WhenAll(_acceptLoops);

        // Closing a socket ends the receive it is waiting in; each loop then leaves and adds its count.
        foreach (Socket socket in open)
        {
            socket.Dispose();
        }

        await _drained.Task;
        return new EchoTotals(Interlocked.Read(ref _connections), Interlocked.Read(ref _bytes));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || (e is SocketException && _stop.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException e)
            {
                // A connection that failed before it was accepted (reset in the backlog): the listener is fine.
                Console.Error.WriteLine($"accept: {e.SocketErrorCode}: {e.Message}");
                continue;
            }

            lock (_lock)
            {
                if (_stopping)
                {
                    socket.Dispose();
                    return;
                }

                _open.Add(socket);
            }

            Interlocked.Increment(ref _connections);
            socket.NoDelay = true;
            _ = EchoAsync(socket);
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        byte[] buffer = new byte[BufferSize];
        long bytes = 0;
        try
        {
            while (true)
            {
                int received = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (received == 0)
                {
                    break;
                }

                int sent = 0;
                while (sent < received)
                {
                    sent += await socket.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None);
                }

                bytes += received;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer reset the connection, or the server is stopping and closed it: either way this loop is done.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Add(ref _bytes, bytes);
            lock (_lock)
            {
                _open.Remove(socket);
                if (_stopping && _open.Count == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }
    }
}
