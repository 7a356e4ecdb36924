using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using UringScheduler;

namespace EchoServer;

/// <summary>
/// The echo server on the rings: a <see cref="UringRuntime"/> with <c>workers</c> workers and one
/// <see cref="UringListener"/> that every worker accepts from. A connection is served from accept to close by the
/// worker that accepted it, on that worker's ring, so its state needs no locks and its receives and sends resume on
/// the worker without a ThreadPool work item. With <c>leased</c>, connections receive into buffers lent by their
/// worker (<see cref="UringSocket.ReceiveBufferAsync"/>: a multishot receive into a provided buffer ring) instead of a
/// buffer of their own.
/// </summary>
internal sealed class UringEchoEngine(bool leased) : IEchoEngine
{
    private const int BufferSize = 16 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private UringRuntime? _runtime;
    private UringListener? _listener;
    private WorkerState[] _states = [];
    private Task[] _loops = [];
    private bool _stopped;


    public string Name => leased ? "uring-leased" : "uring";

    public EndPoint LocalEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("The engine is not started.");

    public void Start(IPEndPoint endPoint, int workers, int backlog)
    {
        var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = workers });
        try
        {
            _listener = UringListener.Bind(runtime, endPoint, new UringListenerOptions { Backlog = backlog, Distribution = UringListenerDistribution.PerWorker });
        }
        catch
        {
            runtime.Dispose();
            throw;
        }

        _runtime = runtime;
        _states = new WorkerState[runtime.Workers.Count];
        _loops = new Task[runtime.Workers.Count];
        foreach (UringWorker worker in runtime.Workers)
        {
            var state = new WorkerState();
            _states[worker.Id] = state;
            _loops[worker.Id] = worker.RunAsync(() => ServeAsync(_listener, state));
        }
    }

    public async Task<EchoTotals> StopAsync()
    {
        _stopped = true;
        _stop.Cancel();
        await Task.WhenAll(_loops);
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        if (_runtime is not null)
        {
            await _runtime.DisposeAsync();
        }

        return new EchoTotals(_states.Sum(s => s.Connections), _states.Sum(s => s.Bytes));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    // Runs on one worker: accepts this worker's connections until the server stops, then closes those still open
    // and waits for their loops to leave. Everything here and in EchoAsync runs on this worker's thread.
    private async Task ServeAsync(UringListener listener, WorkerState state)
    {
        while (true)
        {
            UringSocket socket;
            try
            {
                socket = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || (e is SocketException && _stop.IsCancellationRequested))
            {
                break;
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine($"accept: {e.SocketErrorCode}: {e.Message}");
                continue;
            }

            socket.NoDelay = true;
            state.Connections++;
            state.Open.Add(socket);
            _ = leased ? EchoLeasedAsync(socket, state) : EchoAsync(socket, state);
        }

        state.Stopping = true;
        foreach (UringSocket socket in state.Open.ToArray())
        {
            socket.Dispose();
        }

        if (state.Open.Count > 0)
        {
            await state.Drained.Task;
        }
    }

    private static async Task EchoAsync(UringSocket socket, WorkerState state)
    {
        // A pinned-heap array wrapped as pre-pinned memory: the ring pins it for each operation without a GC handle.
        Memory<byte> buffer = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true), 0, BufferSize);
        try
        {
            while (true)
            {
                int received = await socket.ReceiveAsync(buffer);
                if (received == 0)
                {
                    break;
                }

                await socket.SendAsync(buffer[..received]);
                state.Bytes += received;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer reset the connection, or the server is stopping and closed it.
        }
        finally
        {
            Close(socket, state);
        }
    }

    private static async Task EchoLeasedAsync(UringSocket socket, WorkerState state)
    {
        try
        {
            while (true)
            {
                using UringReceivedBuffer received = await socket.ReceiveBufferAsync();
                if (received.IsEndOfStream)
                {
                    break;
                }

                await socket.SendAsync(received.Memory);
                state.Bytes += received.Length;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer reset the connection, or the server is stopping and closed it.
        }
        finally
        {
            Close(socket, state);
        }
    }

    private static void Close(UringSocket socket, WorkerState state)
    {
        socket.Dispose();
        state.Open.Remove(socket);
        if (state.Stopping && state.Open.Count == 0)
        {
            state.Drained.TrySetResult();
        }
    }

    /// <summary>One worker's connections and counters, touched only on that worker's thread.</summary>
    private sealed class WorkerState
    {
        public HashSet<UringSocket> Open { get; } = [];

        public TaskCompletionSource Drained { get; } = new();

        public bool Stopping { get; set; }

        public long Connections { get; set; }

        public long Bytes { get; set; }
    }
}
