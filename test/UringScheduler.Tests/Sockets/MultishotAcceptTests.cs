using System.Net.Sockets;
using static UringScheduler.Tests.Sockets.SocketTestSupport;

namespace UringScheduler.Tests.Sockets;

/// <summary>
/// Accepts on a worker: one multishot accept per worker and listener on io_uring (Linux 5.19), single-shot accepts as
/// on older kernels, and the fallback's non-blocking accepts must all behave the same from the caller's side. The
/// runtime has one worker, so every listener's socket is accepted from by one worker: the case multishot serves.
/// </summary>
[TestFixtureSource(nameof(Variants))]
public class MultishotAcceptTests(UringBackend backend, bool singleShot)
{
    private UringRuntime _runtime = null!;

    public static object[] Variants =>
    [
        new object[] { UringBackend.IoUring, false },
        new object[] { UringBackend.IoUring, true },
        new object[] { UringBackend.Fallback, true },
    ];

    [SetUp]
    public void SetUp() =>
        _runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 1, Backend = backend, RingEntries = 64, SimulateNoMultishot = singleShot });

    [TearDown]
    public async Task TearDown() => await _runtime.DisposeAsync();

    [Test]
    public async Task TheEngineSays_WhetherAcceptsAreMultishot()
    {
        bool multishot = await _runtime.Workers[0].RunAsync(() => Task.FromResult(_runtime.Workers[0].Engine.SupportsMultishotAccept));
        Assert.That(multishot, Is.EqualTo(!singleShot), "io_uring on this kernel (6.x) accepts multishot unless told otherwise");
    }

    [Test]
    public async Task ConnectionsThatArriveBeforeTheCalls_AreAllAccepted_InOrderOfArrival_NoneLost()
    {
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        UringWorker worker = _runtime.Workers[0];

        // Arm the worker's accept with a first connection, then connect more than the queue holds while nobody calls.
        Task<UringSocket> first = worker.RunAsync(async () => await listener.AcceptAsync());
        var clients = new List<Socket> { await ConnectPlainAsync(listener.LocalEndPoint) };
        await using (UringSocket _ = await first.WaitAsync(Bound))
        {
        }

        const int More = MultishotAcceptor.MaxQueued + 8;
        for (int i = 0; i < More; i++)
        {
            Socket client = await ConnectPlainAsync(listener.LocalEndPoint);
            client.Send(BitConverter.GetBytes(i));
            clients.Add(client);
        }

        int[] order = await worker.RunAsync(async () =>
        {
            var seen = new int[More];
            for (int i = 0; i < More; i++)
            {
                await using UringSocket server = await listener.AcceptAsync();
                Assert.That(server.Worker, Is.SameAs(worker));
                byte[] data = await ReceiveExactlyAsync(server, 4);
                seen[i] = BitConverter.ToInt32(data);
            }

            return seen;
        }).WaitAsync(Bound);

        Assert.That(order, Is.EquivalentTo(Enumerable.Range(0, More)), "every connection was accepted once");
        clients.ForEach(c => c.Dispose());
    }

    [Test]
    public async Task CancelledAccept_LosesNoConnection()
    {
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        UringWorker worker = _runtime.Workers[0];
        using var cts = new CancellationTokenSource();
        Task<bool> cancelled = worker.RunAsync(async () =>
        {
            try
            {
                await using UringSocket _ = await listener.AcceptAsync(cts.Token);
                return false;
            }
            catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
            {
                return true;
            }
        });
        await Task.Delay(50);
        cts.Cancel();
        Assert.That(await cancelled.WaitAsync(Bound), Is.True);

        using Socket client = await ConnectPlainAsync(listener.LocalEndPoint);
        await using UringSocket server = await worker.RunAsync(async () => await listener.AcceptAsync()).WaitAsync(Bound);
        Assert.That(server.RemoteEndPoint, Is.EqualTo(client.LocalEndPoint));
    }

    [Test]
    public async Task SeveralCallsWaiting_EachGetsItsOwnConnection()
    {
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("unix"));
        UringWorker worker = _runtime.Workers[0];
        Task<UringSocket>[] calls = await worker.RunAsync(() => Task.FromResult(Enumerable.Range(0, 4).Select(_ => listener.AcceptAsync().AsTask()).ToArray()));
        var clients = new List<Socket>();
        for (int i = 0; i < 4; i++)
        {
            clients.Add(await ConnectPlainAsync(listener.LocalEndPoint));
        }

        UringSocket[] servers = await Task.WhenAll(calls).WaitAsync(Bound);
        Assert.That(servers.Distinct().Count(), Is.EqualTo(4));
        foreach (UringSocket server in servers)
        {
            await server.DisposeAsync();
        }

        clients.ForEach(c => c.Dispose());
    }

    [Test]
    public async Task DisposingTheListener_EndsWaitingCalls_AndClosesQueuedConnections()
    {
        UringWorker worker = _runtime.Workers[0];
        UringListener idle = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        Task<UringSocket> waiting = worker.RunAsync(async () => await idle.AcceptAsync());
        await Task.Delay(50);
        idle.Dispose();
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting.WaitAsync(Bound));
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await worker.RunAsync(async () => await idle.AcceptAsync()));

        // A connection that arrives after the worker's first accept: queued by the armed multishot accept, or in the
        // kernel's backlog for single accepts. Either way it must see its connection end when the listener goes.
        UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        Task<UringSocket> first = worker.RunAsync(async () => await listener.AcceptAsync());
        using Socket c1 = await ConnectPlainAsync(listener.LocalEndPoint);
        await (await first.WaitAsync(Bound)).DisposeAsync();
        using Socket queued = await ConnectPlainAsync(listener.LocalEndPoint);
        await Task.Delay(50);
        listener.Dispose();

        queued.ReceiveTimeout = (int)Bound.TotalMilliseconds;
        int n;
        try
        {
            n = queued.Receive(new byte[1]);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            n = 0;
        }

        Assert.That(n, Is.Zero, "the connection was closed, not left hanging");
    }

    [Test]
    public async Task ListenerDisposedAfterTheRuntime_StillClosesQueuedConnections()
    {
        UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        UringWorker worker = _runtime.Workers[0];
        Task<UringSocket> first = worker.RunAsync(async () => await listener.AcceptAsync());
        using Socket c1 = await ConnectPlainAsync(listener.LocalEndPoint);
        await (await first.WaitAsync(Bound)).DisposeAsync();
        using Socket queued = await ConnectPlainAsync(listener.LocalEndPoint);
        await Task.Delay(50);

        // The worker stops first: nothing runs on it when the listener goes, which must still close what it queued.
        await _runtime.DisposeAsync();
        listener.Dispose();

        queued.ReceiveTimeout = (int)Bound.TotalMilliseconds;
        int n;
        try
        {
            n = queued.Receive(new byte[1]);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            n = 0;
        }

        Assert.That(n, Is.Zero, "the connection was closed, not left hanging");
    }

    [Test]
    public async Task SharedSocketOfSeveralWorkers_KeepsSingleAccepts()
    {
        await using var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 2, Backend = backend, RingEntries = 64, SimulateNoMultishot = singleShot });
        await using UringListener shared = UringListener.Bind(runtime, ListenAddress("ipv4"));
        await using UringListener perWorker = UringListener.Bind(runtime, ListenAddress("ipv4"), new UringListenerOptions { Distribution = UringListenerDistribution.PerWorker });
        bool canMultishot = await runtime.Workers[0].RunAsync(() => Task.FromResult(runtime.Workers[0].Engine.SupportsMultishotAccept));
        Assert.That(shared.UsesMultishotAccept(runtime.Workers[0]), Is.False, "a socket two workers accept from");
        Assert.That(perWorker.UsesMultishotAccept(runtime.Workers[0]), Is.EqualTo(canMultishot));
    }
}
