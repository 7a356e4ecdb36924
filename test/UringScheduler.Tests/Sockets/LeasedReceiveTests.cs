using System.Net.Sockets;
using static UringScheduler.Tests.Sockets.SocketTestSupport;

namespace UringScheduler.Tests.Sockets;

/// <summary>
/// Receives into buffers lent by the worker (<see cref="UringSocket.ReceiveBufferAsync"/>): a multishot receive into a
/// provided buffer ring on io_uring, single-shot receives into a free list on the fallback.
/// </summary>
[TestFixtureSource(nameof(Variants))]
public class LeasedReceiveTests(UringBackend backend, bool freeList)
{
    // io_uring with a provided buffer ring, io_uring as on a kernel before 6.0 (free list, poll then receive), fallback.
    public static object[] Variants =>
    [
        new object[] { UringBackend.IoUring, false },
        new object[] { UringBackend.IoUring, true },
        new object[] { UringBackend.Fallback, true },
    ];

    private UringRuntime _runtime = null!;

    [TearDown]
    public async Task TearDown()
    {
        if (_runtime is not null)
        {
            await _runtime.DisposeAsync();
        }
    }

    private UringRuntime Start(int bufferCount = 256, int bufferSize = 16384) =>
        _runtime = new UringRuntime(new UringRuntimeOptions
        {
            WorkerCount = 2,
            Backend = backend,
            RingEntries = 64,
            ReceiveBufferCount = bufferCount,
            ReceiveBufferSize = bufferSize,
            SimulateNoMultishot = freeList,
        });

    [TestCaseSource(typeof(SocketTestSupport), nameof(Families))]
    public async Task Echo_ThroughLeases_DeliversEveryByteInOrder_AndEndsAtEof(string family)
    {
        Start(bufferSize: 4096);
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress(family));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;

        UringWorker worker = server.Worker;
        Task<(bool Stayed, bool KernelRing)> echo = worker.RunAsync(async () =>
        {
            bool stayed = true;
            while (true)
            {
                using UringReceivedBuffer lease = await server.ReceiveBufferAsync();
                stayed &= UringWorker.Current == worker && SynchronizationContext.Current == worker.SynchronizationContext;
                if (lease.IsEndOfStream)
                {
                    Assert.That(lease.Length, Is.Zero);
                    return (stayed, worker.ReceiveBuffers.IsKernelRing);
                }

                Assert.That(lease.Length, Is.InRange(1, 4096));
                await server.SendAsync(lease.Memory);
            }
        });

        byte[] message = new byte[1 << 20];
        new Random(11).NextBytes(message);
        byte[] back = await client.Worker.RunAsync(async () =>
        {
            Task<byte[]> receive = ReceiveExactlyAsync(client, message.Length);
            await client.SendAsync(message);
            return await receive;
        });

        Assert.That(back, Is.EqualTo(message));
        client.Shutdown(SocketShutdown.Send);
        (bool stayed, bool kernelRing) = await echo.WaitAsync(Bound);
        Assert.That(stayed, Is.True, "the receive loop left its worker");
        Assert.That(kernelRing, Is.EqualTo(!freeList), "io_uring on Linux 6.0+ lends through a provided buffer ring");
        Assert.That(await worker.RunAsync(() => Task.FromResult(worker.ReceiveBuffers.LentCount)), Is.Zero, "every lease went back");
    }

    [Test]
    public async Task BuffersRunOut_ReceivingStops_AndGoesOnAsLeasesReturn_WithNothingLost()
    {
        Start(bufferCount: 4, bufferSize: 64);
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;

        // 16 KiB in 64-byte buffers, four of them. Each round the receiver holds all four leases and asks for a fifth:
        // that call must wait until a lease is disposed, then go on with the next bytes in order.
        byte[] message = new byte[16 * 1024];
        new Random(5).NextBytes(message);
        UringWorker worker = server.Worker;
        await client.Worker.RunAsync(async () => { await client.SendAsync(message); });
        (byte[] data, int waitedRounds) = await worker.RunAsync(async () =>
        {
            var data = new List<byte>(message.Length);
            var held = new Queue<UringReceivedBuffer>();
            int waitedRounds = 0;
            while (data.Count < message.Length)
            {
                ValueTask<UringReceivedBuffer> next = server.ReceiveBufferAsync();
                if (held.Count == 4)
                {
                    await Task.Delay(5);
                    Assert.That(next.IsCompleted, Is.False, "a receive with every buffer lent out waits");
                    waitedRounds++;
                    held.Dequeue().Dispose();
                }

                UringReceivedBuffer lease = await next;
                Assert.That(lease.IsEndOfStream, Is.False);
                data.AddRange(lease.Span.ToArray());
                held.Enqueue(lease);
                if (held.Count > 4)
                {
                    held.Dequeue().Dispose();
                }
            }

            while (held.Count > 0)
            {
                held.Dequeue().Dispose();
            }

            return (data.ToArray(), waitedRounds);
        });

        Assert.That(data, Is.EqualTo(message));
        Assert.That(waitedRounds, Is.GreaterThan(10));
        Assert.That(worker.ReceiveBufferExhaustions, Is.GreaterThan(0), "the meter counts the exhaustions");
        Assert.That(await worker.RunAsync(() => Task.FromResult(worker.ReceiveBuffers.LentCount)), Is.Zero);
    }

    [Test]
    public async Task ManySockets_ShareFewBuffers_AllEcho()
    {
        Start(bufferCount: 8, bufferSize: 256);
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        const int Connections = 24;
        var servers = new List<Task>();
        var clients = new List<UringSocket>();
        for (int i = 0; i < Connections; i++)
        {
            (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
            clients.Add(client);
            servers.Add(server.Worker.RunAsync(async () =>
            {
                await using UringSocket s = server;
                while (true)
                {
                    using UringReceivedBuffer lease = await s.ReceiveBufferAsync();
                    if (lease.IsEndOfStream)
                    {
                        return;
                    }

                    await s.SendAsync(lease.Memory);
                }
            }));
        }

        byte[] message = new byte[8192];
        new Random(3).NextBytes(message);
        Task<byte[]>[] echoes = clients.Select(c => c.Worker.RunAsync(async () =>
        {
            Task<byte[]> receive = ReceiveExactlyAsync(c, message.Length);
            await c.SendAsync(message);
            return await receive;
        })).ToArray();

        foreach (Task<byte[]> echo in echoes)
        {
            Assert.That(await echo.WaitAsync(Bound), Is.EqualTo(message));
        }

        foreach (UringSocket c in clients)
        {
            c.Shutdown(SocketShutdown.Send);
        }

        await Task.WhenAll(servers).WaitAsync(Bound);
        foreach (UringSocket c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Test]
    public async Task CancelledWait_LosesNoData()
    {
        Start();
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;

        using var cts = new CancellationTokenSource();
        Task<int> waited = server.Worker.RunAsync(async () =>
        {
            try
            {
                using UringReceivedBuffer lease = await server.ReceiveBufferAsync(cts.Token);
                return -1;
            }
            catch (OperationCanceledException e) when (e.CancellationToken == cts.Token)
            {
                return 1;
            }
        });

        await Task.Delay(50);
        cts.Cancel();
        Assert.That(await waited.WaitAsync(Bound), Is.EqualTo(1), "the wait ended with the token's cancellation");

        await client.Worker.RunAsync(async () => { await client.SendAsync(new byte[] { 1, 2, 3 }); });
        byte[] got = await server.Worker.RunAsync(async () =>
        {
            using UringReceivedBuffer lease = await server.ReceiveBufferAsync();
            return lease.Span.ToArray();
        }).WaitAsync(Bound);
        Assert.That(got, Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public async Task Dispose_EndsTheWait_AndGivesQueuedBuffersBack()
    {
        Start();
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var __ = client;
        UringWorker worker = server.Worker;

        Task waiting = worker.RunAsync(async () =>
        {
            using UringReceivedBuffer lease = await server.ReceiveBufferAsync();
        });
        await Task.Delay(50);
        server.Dispose(); // from the test thread: handed over to the worker
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting.WaitAsync(Bound));
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await worker.RunAsync(async () => { using var l = await server.ReceiveBufferAsync(); }));

        // Queued data on a disposed socket: its buffers go back.
        (UringSocket server2, UringSocket client2) = await PairAsync(_runtime, listener);
        await using var ___ = client2;
        await worker.RunAsync(async () =>
        {
            await client2.Worker.RunAsync(async () => { await client2.SendAsync(new byte[100]); });
            using (UringReceivedBuffer first = await server2.ReceiveBufferAsync())
            {
                Assert.That(first.Length, Is.GreaterThan(0));
            }

            await client2.Worker.RunAsync(async () =>
            {
                await client2.SendAsync(new byte[100]);
                await client2.SendAsync(new byte[100]);
            });
            await Task.Delay(50); // let the data arrive and queue
            server2.Dispose();
        });

        int lent = -1;
        for (int i = 0; i < 100 && lent != 0; i++)
        {
            lent = await worker.RunAsync(() => Task.FromResult(worker.ReceiveBuffers.LentCount));
            await Task.Delay(10);
        }

        Assert.That(lent, Is.Zero, "the disposed socket's queued buffers went back");
    }

    [Test]
    public async Task PeerReset_IsConnectionReset()
    {
        Start();
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        Task<UringSocket> accepted = _runtime.Workers[0].RunAsync(async () => await listener.AcceptAsync());
        using Socket plain = await ConnectPlainAsync(listener.LocalEndPoint);
        await using UringSocket server = await accepted.WaitAsync(Bound);

        Task<SocketError> outcome = server.Worker.RunAsync(async () =>
        {
            try
            {
                while (true)
                {
                    using UringReceivedBuffer lease = await server.ReceiveBufferAsync();
                    if (lease.IsEndOfStream)
                    {
                        return SocketError.Success;
                    }
                }
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode;
            }
        });

        await Task.Delay(50);
        plain.LingerState = new LingerOption(true, 0);
        plain.Close();
        Assert.That(await outcome.WaitAsync(Bound), Is.EqualTo(SocketError.ConnectionReset));
    }

    [Test]
    public async Task Misuse_IsRefusedClearly()
    {
        Start();
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;

        Assert.Throws<InvalidOperationException>(() => server.ReceiveBufferAsync(), "off the socket's worker");
        await server.Worker.RunAsync(async () =>
        {
            ValueTask<UringReceivedBuffer> first = server.ReceiveBufferAsync();
            Assert.Throws<InvalidOperationException>(() => server.ReceiveBufferAsync(), "a second call while one waits");
            Assert.Throws<InvalidOperationException>(() => server.ReceiveAsync(new byte[10]), "plain receives once leased");
            await client.Worker.RunAsync(async () => { await client.SendAsync(new byte[] { 9 }); });
            UringReceivedBuffer lease = await first;
            Assert.That(lease.Span.ToArray(), Is.EqualTo(new byte[] { 9 }));
            lease.Dispose();
            lease.Dispose(); // a second dispose gives nothing back twice
            Assert.That(server.Worker.ReceiveBuffers.LentCount, Is.Zero);
        });
    }

    [Test]
    public async Task SteadyState_NoThreadPoolItem_NoAllocationPerReceive()
    {
        Start();
        const int Rounds = 4000;
        await using UringListener listener = UringListener.Bind(_runtime, ListenAddress("ipv4"));
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, listener);
        await using var _ = server;
        await using var __ = client;

        Task echo = client.Worker.RunAsync(async () =>
        {
            Memory<byte> buffer = System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(64, pinned: true), 0, 64);
            int n;
            while ((n = await client.ReceiveAsync(buffer)) > 0)
            {
                await client.SendAsync(buffer[..n]);
            }
        });

        (long items, long allocated) = await server.Worker.RunAsync(async () =>
        {
            Memory<byte> message = System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(8, pinned: true), 0, 8);
            long itemsBefore = 0, before = 0;
            for (int i = -1000; i < Rounds; i++)
            {
                if (i == 0)
                {
                    itemsBefore = ThreadPool.CompletedWorkItemCount;
                    before = GC.GetAllocatedBytesForCurrentThread();
                }

                await server.SendAsync(message);
                int got = 0;
                while (got < 8)
                {
                    using UringReceivedBuffer lease = await server.ReceiveBufferAsync();
                    got += lease.Length;
                }
            }

            return (ThreadPool.CompletedWorkItemCount - itemsBefore, GC.GetAllocatedBytesForCurrentThread() - before);
        });

        server.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(Bound);
        TestContext.Out.WriteLine($"{backend}: {items} ThreadPool items, {allocated} bytes over {Rounds} leased receives");
        // Counted process-wide, so the test host's own timers count too; one item per receive would be 4000.
        Assert.That(items, Is.LessThan(Rounds / 4), "anything per receive would show as one item per receive");
        Assert.That(allocated / (double)Rounds, Is.LessThan(0.01));
    }

    [Test]
    public async Task RuntimeDispose_WithAnArmedReceive_EndsItAndCompletes()
    {
        UringRuntime runtime = Start();
        UringListener listener = UringListener.Bind(runtime, ListenAddress("ipv4"));
        (UringSocket server, UringSocket client) = await PairAsync(runtime, listener);
        Task waiting = server.Worker.RunAsync(async () =>
        {
            using UringReceivedBuffer lease = await server.ReceiveBufferAsync();
        });
        await Task.Delay(50);
        await runtime.DisposeAsync().AsTask().WaitAsync(Bound);
        _runtime = null!;
        Exception? error = await waiting.WaitAsync(Bound).ContinueWith(t => t.Exception?.InnerException);
        Assert.That(error, Is.InstanceOf<ObjectDisposedException>(), $"ended {waiting.Status}: {error}");
        server.Dispose();
        client.Dispose();
        listener.Dispose();
    }
}
