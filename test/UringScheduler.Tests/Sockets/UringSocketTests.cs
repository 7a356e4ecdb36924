using System.Net;
using System.Net.Sockets;
using static UringScheduler.Tests.Sockets.SocketTestSupport;

namespace UringScheduler.Tests.Sockets;

/// <summary>Connections accepted, connected, read and written on the workers' rings, over TCP (IPv4, IPv6) and Unix domain sockets.</summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringSocketTests(UringBackend backend)
{
    private UringRuntime _runtime = null!;

    [SetUp]
    public void SetUp() => _runtime = TestRuntime.Create(backend);

    [TearDown]
    public async Task TearDown() => await _runtime.DisposeAsync();

    [TestCaseSource(typeof(SocketTestSupport), nameof(Families))]
    public async Task Echo_RoundTrips_AndStaysOnTheServingWorker(string family)
    {
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress(family));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;
        Assert.That(server.Worker, Is.SameAs(_runtime.Workers[0]));
        Assert.That(client.Worker, Is.SameAs(_runtime.Workers[1]));
        Assert.That(server.LocalEndPoint, Is.Not.Null);
        Assert.That(client.RemoteEndPoint, Is.Not.Null);

        UringWorker worker = server.Worker;
        Task<bool> echo = worker.RunAsync(async () =>
        {
            byte[] buffer = new byte[4096];
            bool stayed = true;
            while (true)
            {
                int n = await server.ReceiveAsync(buffer);
                stayed &= UringWorker.Current == worker && SynchronizationContext.Current == worker.SynchronizationContext && TaskScheduler.Current == worker.TaskScheduler;
                if (n == 0)
                {
                    return stayed;
                }

                await server.SendAsync(buffer.AsMemory(0, n));
                stayed &= UringWorker.Current == worker;
            }
        });

        byte[] message = new byte[100_000];
        new Random(7).NextBytes(message);
        byte[] back = await client.Worker.RunAsync(async () =>
        {
            Task<byte[]> receive = ReceiveExactlyAsync(client, message.Length);
            await client.SendAsync(message);
            return await receive;
        });

        Assert.That(back, Is.EqualTo(message));
        client.Shutdown(SocketShutdown.Send);
        Assert.That(await echo.WaitAsync(Bound), Is.True, "the server loop left its worker");
    }

    [Test]
    public async Task LargeSend_IsDeliveredWhole_InOrder()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;
        byte[] message = new byte[8 << 20];
        new Random(3).NextBytes(message);

        // The peer reads slowly at first, so the kernel's send buffer fills and the send goes out in several parts.
        Task<byte[]> receive = server.Worker.RunAsync(async () =>
        {
            await Task.Delay(200);
            return await ReceiveExactlyAsync(server, message.Length);
        });
        int sent = await client.Worker.RunAsync(async () => await client.SendAsync(message));
        Assert.That(sent, Is.EqualTo(message.Length));
        Assert.That(await receive.WaitAsync(Bound), Is.EqualTo(message));
    }

    [Test]
    public async Task FromThreadsOffTheRuntime_ReceiveAndSendWork_AndResumeOffTheWorkers()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        Task<UringSocket> accepted = listener.AcceptAsync().AsTask();
        await using UringSocket client = await UringSocket.ConnectAsync(listener.LocalEndPoint);
        await using UringSocket server = await accepted.WaitAsync(Bound);

        await client.SendAsync(new byte[] { 1, 2, 3 });
        byte[] got = await ReceiveExactlyAsync(server, 3);
        Assert.That(got, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(UringWorker.Current, Is.Null);
    }

    [Test]
    public async Task FromSocket_AdoptsAConnectedSocket()
    {
        using var plainListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        plainListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        plainListener.Listen();
        using Socket plainClient = await ConnectPlainAsync(plainListener.LocalEndPoint!);
        Socket plainServer = await plainListener.AcceptAsync();

        await _runtime.Workers[0].RunAsync(async () =>
        {
            await using UringSocket adopted = UringSocket.FromSocket(plainServer);
            Assert.That(adopted.Worker, Is.SameAs(_runtime.Workers[0]));
            await plainClient.SendAsync(new byte[] { 9, 8, 7 });
            Assert.That(await ReceiveExactlyAsync(adopted, 3), Is.EqualTo(new byte[] { 9, 8, 7 }));
            await adopted.SendAsync(new byte[] { 1 });
        });

        byte[] one = new byte[1];
        Assert.That(await plainClient.ReceiveAsync(one), Is.EqualTo(1));
        Assert.That(one[0], Is.EqualTo(1));
        Assert.Throws<ArgumentException>(() => UringSocket.FromSocket(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)));
    }

    [Test]
    public async Task Stream_Adapter_ReadsAndWrites()
    {
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using Stream serverStream = server.AsStream();
        await using Stream clientStream = client.AsStream();
        using (var writer = new StreamWriter(clientStream, leaveOpen: true) { AutoFlush = true })
        {
            await writer.WriteLineAsync("hello over the ring");
        }

        using var reader = new StreamReader(serverStream, leaveOpen: true);
        Assert.That(await reader.ReadLineAsync().WaitAsync(Bound), Is.EqualTo("hello over the ring"));
        Assert.That(serverStream.CanSeek, Is.False);
    }

    [TestCase(UringListenerDistribution.Shared)]
    [TestCase(UringListenerDistribution.PerWorker)]
    public async Task ManyConnections_AcceptedByEveryWorker_AllEcho(UringListenerDistribution distribution)
    {
        const int Connections = 64;
        await using UringListener listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0), new UringListenerOptions { Distribution = distribution });
        Assert.That(listener.Distribution, Is.EqualTo(distribution));
        using var stop = new CancellationTokenSource();
        int[] perWorker = new int[_runtime.Workers.Count];
        var serverLoops = _runtime.Workers.Select(worker => worker.RunAsync(async () =>
        {
            var connections = new List<Task>();
            try
            {
                while (true)
                {
                    UringSocket connection = await listener.AcceptAsync(stop.Token);
                    Interlocked.Increment(ref perWorker[worker.Id]);
                    connections.Add(EchoAsync(connection));
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(connections);
        })).ToArray();

        var clients = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ConnectPlainAsync(listener.LocalEndPoint)));
        await Task.WhenAll(clients.Select(async (c, i) =>
        {
            byte[] message = BitConverter.GetBytes(i);
            await c.SendAsync(message);
            byte[] back = new byte[4];
            int got = 0;
            while (got < 4)
            {
                got += await c.ReceiveAsync(back.AsMemory(got));
            }

            Assert.That(BitConverter.ToInt32(back), Is.EqualTo(i));
            c.Shutdown(SocketShutdown.Send);
        })).WaitAsync(Bound);

        stop.Cancel();
        await Task.WhenAll(serverLoops).WaitAsync(Bound);
        foreach (Socket c in clients)
        {
            c.Dispose();
        }

        TestContext.Out.WriteLine($"{backend}, {distribution}: connections per worker: {string.Join(", ", perWorker)}");
        Assert.That(perWorker.Sum(), Is.EqualTo(Connections));
        if (distribution == UringListenerDistribution.PerWorker)
        {
            // Spread by the kernel's hash of 64 address pairs: a worker left with none would mean the sockets were not joined.
            Assert.That(perWorker, Has.All.GreaterThan(0));
        }
    }

    private static async Task EchoAsync(UringSocket connection)
    {
        await using (connection)
        {
            byte[] buffer = new byte[256];
            int n;
            while ((n = await connection.ReceiveAsync(buffer)) > 0)
            {
                await connection.SendAsync(buffer.AsMemory(0, n));
            }
        }
    }
}
