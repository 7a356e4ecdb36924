using System.Net;
using System.Net.Sockets;
using static UringScheduler.Tests.Sockets.SocketTestSupport;

namespace UringScheduler.Tests.Sockets;

/// <summary>
/// The same failure scenarios against <see cref="Socket"/>'s async methods and against <see cref="UringSocket"/> on a
/// worker: the same exception types and <see cref="SocketError"/> codes, on both backends.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class SocketDifferentialTests(UringBackend backend)
{
    private UringRuntime _runtime = null!;

    [SetUp]
    public void SetUp() => _runtime = TestRuntime.Create(backend);

    [TearDown]
    public async Task TearDown() => await _runtime.DisposeAsync();

    private Task<T> OnWorker<T>(Func<Task<T>> work) => _runtime.Workers[0].RunAsync(work);

    private static async Task<string> OutcomeOf(Func<Task> action)
    {
        try
        {
            await action();
            return "ok";
        }
        catch (SocketException e)
        {
            return $"SocketException {e.SocketErrorCode}";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    // A port with nobody listening: bind a socket to get one, then close it.
    private static IPEndPoint ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!;
    }

    [Test]
    public async Task Connect_ToAClosedPort_IsRefused_AsWithSocket()
    {
        IPEndPoint target = ClosedPort();
        string expected = await OutcomeOf(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(target);
        });
        string actual = await OnWorker(() => OutcomeOf(async () => await (await UringSocket.ConnectAsync(target)).DisposeAsync()));
        Assert.That(expected, Is.EqualTo("SocketException ConnectionRefused"));
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public async Task Receive_AfterThePeerClosed_ReturnsZero_AsWithSocket()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = OnWorker(async () => await listener.AcceptAsync());
        using (Socket peer = await ConnectPlainAsync(listener.LocalEndPoint))
        {
            peer.Shutdown(SocketShutdown.Send);
        }

        await using UringSocket server = await accepted.WaitAsync(Bound);
        int n = await OnWorker(async () => await server.ReceiveAsync(new byte[10]));
        Assert.That(n, Is.Zero);
    }

    [Test]
    public async Task Receive_AfterThePeerReset_IsConnectionReset_AsWithSocket()
    {
        string expected;
        using (var plainListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            plainListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            plainListener.Listen();
            Socket peer = await ConnectPlainAsync(plainListener.LocalEndPoint!);
            using Socket server = await plainListener.AcceptAsync();
            await peer.SendAsync(new byte[] { 1 });
            peer.LingerState = new LingerOption(true, 0);
            peer.Dispose(); // RST
            await Task.Delay(100);
            expected = await OutcomeOf(async () =>
            {
                byte[] buffer = new byte[10];
                while (await server.ReceiveAsync(buffer) > 0)
                {
                }
            });
        }

        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = OnWorker(async () => await listener.AcceptAsync());
        Socket uringPeer = await ConnectPlainAsync(listener.LocalEndPoint);
        await using UringSocket uringServer = await accepted.WaitAsync(Bound);
        await uringPeer.SendAsync(new byte[] { 1 });
        uringPeer.LingerState = new LingerOption(true, 0);
        uringPeer.Dispose();
        await Task.Delay(100);
        string actual = await OnWorker(() => OutcomeOf(async () =>
        {
            byte[] buffer = new byte[10];
            while (await uringServer.ReceiveAsync(buffer) > 0)
            {
            }
        }));

        Assert.That(expected, Is.EqualTo("SocketException ConnectionReset"));
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public async Task Send_AfterThePeerReset_Fails_AsWithSocket()
    {
        static async Task<string> Sending(Func<ReadOnlyMemory<byte>, Task> send)
        {
            // The first sends may still be accepted by the kernel; within a few the reset shows.
            return await OutcomeOf(async () =>
            {
                byte[] chunk = new byte[65536];
                for (int i = 0; i < 64; i++)
                {
                    await send(chunk);
                    await Task.Delay(5);
                }
            });
        }

        string expected;
        using (var plainListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            plainListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            plainListener.Listen();
            Socket peer = await ConnectPlainAsync(plainListener.LocalEndPoint!);
            using Socket server = await plainListener.AcceptAsync();
            peer.LingerState = new LingerOption(true, 0);
            peer.Dispose();
            await Task.Delay(100);
            expected = await Sending(async b => await server.SendAsync(b));
        }

        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = OnWorker(async () => await listener.AcceptAsync());
        Socket uringPeer = await ConnectPlainAsync(listener.LocalEndPoint);
        await using UringSocket uringServer = await accepted.WaitAsync(Bound);
        uringPeer.LingerState = new LingerOption(true, 0);
        uringPeer.Dispose();
        await Task.Delay(100);
        string actual = await OnWorker(() => Sending(async b => await uringServer.SendAsync(b)));

        Assert.That(expected, Does.StartWith("SocketException"));
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public async Task Operations_AfterDispose_ThrowObjectDisposed_AsWithSocket()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = OnWorker(async () => await listener.AcceptAsync());
        using Socket peer = await ConnectPlainAsync(listener.LocalEndPoint);
        UringSocket server = await accepted.WaitAsync(Bound);
        server.Dispose();
        server.Dispose(); // idempotent

        var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        plain.Dispose();
        string expectedReceive = await OutcomeOf(async () => await plain.ReceiveAsync(new byte[1]));
        string expectedSend = await OutcomeOf(async () => await plain.SendAsync(new byte[1]));

        Assert.That(await OnWorker(() => OutcomeOf(async () => await server.ReceiveAsync(new byte[1]))), Is.EqualTo(expectedReceive));
        Assert.That(await OnWorker(() => OutcomeOf(async () => await server.SendAsync(new byte[1]))), Is.EqualTo(expectedSend));
        Assert.That(await OutcomeOf(() => Task.Run(() => server.Shutdown(SocketShutdown.Both))), Is.EqualTo("ObjectDisposedException"));
        Assert.That(expectedReceive, Is.EqualTo("ObjectDisposedException"));

        listener.Dispose();
        Assert.That(await OutcomeOf(async () => await listener.AcceptAsync()), Is.EqualTo("ObjectDisposedException"));
    }

    [Test]
    public async Task Dispose_WithAReceiveInFlight_EndsIt_WithObjectDisposed_WithoutHanging()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = OnWorker(async () => await listener.AcceptAsync());
        using Socket peer = await ConnectPlainAsync(listener.LocalEndPoint);
        UringSocket server = await accepted.WaitAsync(Bound);
        byte[] buffer = new byte[64];
        Task<string> receive = OnWorker(() => OutcomeOf(async () => await server.ReceiveAsync(buffer)));
        await Task.Delay(100);

        // Disposed on the serving worker itself: it must not wait for the receive it has to reap.
        await _runtime.Workers[0].RunAsync(() =>
        {
            server.Dispose();
            return Task.CompletedTask;
        }).WaitAsync(Bound);

        Assert.That(await receive.WaitAsync(Bound), Is.EqualTo("ObjectDisposedException"));

        // The peer sees the connection end, and nothing arrives in the released buffer afterwards.
        Assert.That(await peer.ReceiveAsync(new byte[1]).WaitAsync(Bound), Is.Zero);
        Assert.That(buffer, Is.All.Zero);
    }

    [Test]
    public async Task Dispose_OfTheListener_EndsAPendingAccept_WithObjectDisposed()
    {
        foreach (string family in Families)
        {
            UringListener listener = UringListener.Bind(_runtime, ListenAddress(family));
            Task<string> accept = OnWorker(() => OutcomeOf(async () => await listener.AcceptAsync()));
            await Task.Delay(50);
            listener.Dispose();
            Assert.That(await accept.WaitAsync(Bound), Is.EqualTo("ObjectDisposedException"), family);
        }
    }

    [Test]
    public async Task CancelledReceive_EndsCancelled_AndTheSocketStaysUsable()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = OnWorker(async () => await listener.AcceptAsync());
        using Socket peer = await ConnectPlainAsync(listener.LocalEndPoint);
        await using UringSocket server = await accepted.WaitAsync(Bound);

        using var cts = new CancellationTokenSource();
        Task<string> receive = OnWorker(() => OutcomeOf(async () => await server.ReceiveAsync(new byte[16], cts.Token)));
        await Task.Delay(100);
        cts.Cancel();
        Assert.That(await receive.WaitAsync(Bound), Is.EqualTo("OperationCanceledException").Or.EqualTo("TaskCanceledException"));

        await peer.SendAsync(new byte[] { 42 });
        byte[] one = new byte[1];
        Assert.That(await OnWorker(async () => await server.ReceiveAsync(one)), Is.EqualTo(1));
        Assert.That(one[0], Is.EqualTo(42));

        Assert.That(await OnWorker(() => OutcomeOf(async () => await server.ReceiveAsync(new byte[1], new CancellationToken(true)))), Is.EqualTo("TaskCanceledException").Or.EqualTo("OperationCanceledException"));
        Assert.That(await OnWorker(async () => await server.ReceiveAsync(Memory<byte>.Empty)), Is.Zero);
    }

    [Test]
    public async Task ReceiveAndSend_OnTheWorker_TouchNoThreadPool_AndAllocateNothing()
    {
        const int Rounds = 20_000;
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;

        // The echo side runs on worker 0, the measured side on worker 1: every await of the measured loop is a ring
        // receive or send that resumes inline.
        Task echo = server.Worker.RunAsync(async () =>
        {
            Memory<byte> buffer = System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(64, pinned: true), 0, 64);
            int n;
            while ((n = await server.ReceiveAsync(buffer)) > 0)
            {
                await server.SendAsync(buffer[..n]);
            }
        });

        (long items, long allocated) = await client.Worker.RunAsync(async () =>
        {
            Memory<byte> buffer = System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(64, pinned: true), 0, 64);
            for (int i = 0; i < 1000; i++)
            {
                await client.SendAsync(buffer[..8]);
                await client.ReceiveAsync(buffer);
            }

            long itemsBefore = ThreadPool.CompletedWorkItemCount;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Rounds; i++)
            {
                await client.SendAsync(buffer[..8]);
                int got = 0;
                while (got < 8)
                {
                    got += await client.ReceiveAsync(buffer[got..]);
                }
            }

            return (ThreadPool.CompletedWorkItemCount - itemsBefore, GC.GetAllocatedBytesForCurrentThread() - before);
        });

        client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(Bound);
        TestContext.Out.WriteLine($"{backend}: {items} ThreadPool items, {allocated} bytes over {Rounds} send/receive pairs");
        // Counted process-wide: the test host's own timers add items, more the longer a loaded machine takes; one per
        // operation would be 40000.
        Assert.That(items, Is.LessThan(Rounds / 10), "anything per operation would show as one item per operation");
        Assert.That(allocated / (double)Rounds, Is.LessThan(0.01));
    }
}
