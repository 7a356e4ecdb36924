using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static UringScheduler.Tests.Sockets.SocketTestSupport;

namespace UringScheduler.Tests.Sockets;

/// <summary>
/// <see cref="UringSocket.AsDuplexPipe"/>: the server side of each connection is a pipe served by worker 0, the client a
/// plain <see cref="UringSocket"/> (or a <see cref="Socket"/>) on worker 1; on both backends.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringDuplexPipeTests(UringBackend backend)
{
    private UringRuntime _runtime = null!;
    private UringListener _listener = null!;

    [SetUp]
    public void SetUp()
    {
        _runtime = TestRuntime.Create(backend);
        _listener = UringListener.Bind(_runtime, new IPEndPoint(IPAddress.Loopback, 0));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _listener.DisposeAsync();
        await _runtime.DisposeAsync();
    }

    /// <summary>Echoes through the pipe until the peer's end of stream, then completes the output; false if any continuation left the worker.</summary>
    private static async Task<bool> EchoAsync(UringDuplexPipe pipe)
    {
        UringWorker worker = UringWorker.Current!;
        bool stayed = true;
        while (true)
        {
            ReadResult result = await pipe.Input.ReadAsync();
            stayed &= UringWorker.Current == worker && SynchronizationContext.Current == worker.SynchronizationContext;
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                pipe.Output.Write(segment.Span);
            }

            pipe.Input.AdvanceTo(result.Buffer.End);
            FlushResult flushed = await pipe.Output.FlushAsync();
            stayed &= UringWorker.Current == worker;
            if (result.IsCompleted || flushed.IsCompleted)
            {
                break;
            }
        }

        await pipe.Input.CompleteAsync();
        await pipe.Output.CompleteAsync();
        return stayed;
    }

    [Test]
    public async Task Echo_LargeAndFragmentedMessages_RoundTrip_ThenEndOfStreamBothWays()
    {
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        await using UringDuplexPipe pipe = await server.Worker.RunAsync(() => Task.FromResult(server.AsDuplexPipe(new UringPipeOptions { BufferSize = 4096 })));
        await using var _ = client;
        Task<bool> echo = server.Worker.RunAsync(() => EchoAsync(pipe));

        byte[] message = new byte[3 << 20];
        new Random(11).NextBytes(message);
        byte[] back = await client.Worker.RunAsync(async () =>
        {
            Task<byte[]> receive = ReceiveExactlyAsync(client, message.Length * 2);

            // Fragmented: 1 MiB in pieces of 1 to 3000 bytes; then 2 MiB in one send.
            var random = new Random(5);
            int sent = 0;
            while (sent < 1 << 20)
            {
                int piece = Math.Min(random.Next(1, 3000), (1 << 20) - sent);
                await client.SendAsync(message.AsMemory(sent, piece));
                sent += piece;
            }

            await client.SendAsync(message.AsMemory(sent));
            await client.SendAsync(message);
            client.Shutdown(SocketShutdown.Send);
            return await receive;
        }).WaitAsync(Bound);

        Assert.That(back.AsSpan(0, message.Length).SequenceEqual(message), Is.True, "first copy");
        Assert.That(back.AsSpan(message.Length).SequenceEqual(message), Is.True, "second copy");
        Assert.That(await echo.WaitAsync(Bound), Is.True, "a continuation of the echo left the worker");

        // The echo completed its output after the client's end of stream: the client reads end of stream too.
        int end = await client.Worker.RunAsync(async () => await client.ReceiveAsync(new byte[16])).WaitAsync(Bound);
        Assert.That(end, Is.Zero);
    }

    [Test]
    public async Task PeerEndOfStream_CompletesTheInput_WhileTheOutputStillSends()
    {
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        await using UringDuplexPipe pipe = server.AsDuplexPipe();
        await using var _ = client;
        await client.Worker.RunAsync(async () =>
        {
            await client.SendAsync("hello"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
        });

        string received = await server.Worker.RunAsync(async () =>
        {
            while (true)
            {
                ReadResult result = await pipe.Input.ReadAsync();
                if (result.IsCompleted)
                {
                    string text = Encoding.ASCII.GetString(result.Buffer);
                    pipe.Input.AdvanceTo(result.Buffer.End);
                    return text;
                }

                pipe.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }).WaitAsync(Bound);
        Assert.That(received, Is.EqualTo("hello"));

        // Half-closed by the peer: the send side still works, and completing the output is the end of stream there.
        await server.Worker.RunAsync(async () =>
        {
            await pipe.Output.WriteAsync("bye"u8.ToArray());
            await pipe.Output.CompleteAsync();
        });
        byte[] reply = await client.Worker.RunAsync(() => ReceiveExactlyAsync(client, 100)).WaitAsync(Bound);
        Assert.That(reply, Is.EqualTo("bye"u8.ToArray()));
    }

    [Test]
    public async Task PeerReset_IsTheReadersSocketException()
    {
        Task<UringSocket> accepted = _runtime.Workers[0].RunAsync(async () => await _listener.AcceptAsync());
        using Socket peer = await ConnectPlainAsync(_listener.LocalEndPoint);
        UringSocket server = await accepted.WaitAsync(Bound);
        await using UringDuplexPipe pipe = server.AsDuplexPipe();

        Task<Exception?> read = server.Worker.RunAsync(async () =>
        {
            try
            {
                while (true)
                {
                    ReadResult result = await pipe.Input.ReadAsync();
                    pipe.Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        return null;
                    }
                }
            }
            catch (Exception e)
            {
                return e;
            }
        });
        await peer.SendAsync(new byte[] { 1, 2, 3 });
        peer.LingerState = new LingerOption(true, 0);
        peer.Close();

        Exception? error = await read.WaitAsync(Bound);
        Assert.That(error, Is.TypeOf<SocketException>());
        Assert.That(((SocketException)error!).SocketErrorCode, Is.EqualTo(SocketError.ConnectionReset));
    }

    [Test]
    public async Task SlowReader_PausesReceiving_AtTheThreshold_AndGetsEveryByte()
    {
        const int Pause = 64 * 1024;
        const int BufferSize = 4096;
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        await using UringDuplexPipe pipe = server.AsDuplexPipe(new UringPipeOptions { BufferSize = BufferSize, ReceivePauseThreshold = Pause, ReceiveResumeThreshold = Pause / 2 });
        await using var _ = client;

        byte[] message = new byte[16 << 20];
        new Random(9).NextBytes(message);
        Task sending = client.Worker.RunAsync(async () =>
        {
            await client.SendAsync(message);
            client.Shutdown(SocketShutdown.Send);
        });

        (long ahead, long afterPause, byte[] all) = await server.Worker.RunAsync(async () =>
        {
            // Look without examining (examining everything asks the pipe for more, past the threshold) until the
            // receive loop has read ahead to the threshold...
            ReadResult result;
            long readAhead = 0;
            for (int i = 0; i < 2000 && readAhead < Pause; i++)
            {
                await Task.Delay(10);
                if (pipe.Input.TryRead(out result))
                {
                    readAhead = result.Buffer.Length;
                    pipe.Input.AdvanceTo(result.Buffer.Start);
                }
            }

            // ...then wait: it must have paused there (one receive may overshoot by a buffer).
            await Task.Delay(300);
            Assert.That(pipe.Input.TryRead(out result), Is.True);
            long buffered = result.Buffer.Length;
            pipe.Input.AdvanceTo(result.Buffer.Start);

            // The slow reader takes a little at a time, and everything arrives in order.
            var received = new ArrayBufferWriter<byte>(message.Length);
            while (true)
            {
                result = await pipe.Input.ReadAsync();
                ReadOnlySequence<byte> take = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, 10_000));
                foreach (ReadOnlyMemory<byte> segment in take)
                {
                    received.Write(segment.Span);
                }

                pipe.Input.AdvanceTo(take.End);
                if (result.IsCompleted && take.Length == result.Buffer.Length)
                {
                    break;
                }
            }

            return (readAhead, buffered, received.WrittenSpan.ToArray());
        }).WaitAsync(Bound);

        await sending.WaitAsync(Bound);
        TestContext.Out.WriteLine($"{backend}: read ahead {ahead} bytes, {afterPause} buffered after the pause");
        Assert.That(ahead, Is.GreaterThanOrEqualTo(Pause));
        Assert.That(afterPause, Is.LessThanOrEqualTo(Pause + BufferSize), "receiving went on past the pause threshold");
        Assert.That(all.AsSpan().SequenceEqual(message), Is.True);
    }

    [Test]
    public async Task PeerNotReading_MakesFlushWait_ATokenCancelsTheWait_AndReadingReleasesIt()
    {
        const int Chunk = 64 * 1024;
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        await using UringDuplexPipe pipe = server.AsDuplexPipe(new UringPipeOptions { SendPauseThreshold = Chunk, SendResumeThreshold = Chunk / 2 });
        await using var _ = client;

        (long written, bool cancelled) = await server.Worker.RunAsync(async () =>
        {
            byte[] chunk = new byte[Chunk];
            long total = 0;

            // The client reads nothing: once the kernel's buffers are full, a flush stays pending (bounded: 256 MiB).
            while (total < 256L << 20)
            {
                pipe.Output.Write(chunk);
                total += Chunk;
                Task<FlushResult> flush = pipe.Output.FlushAsync().AsTask();
                if (await Task.WhenAny(flush, Task.Delay(200)) != flush)
                {
                    pipe.Output.CancelPendingFlush();
                    FlushResult result = await flush;
                    if (result.IsCanceled)
                    {
                        return (total, true);
                    }

                    // It completed just before the cancel, which then ends the next flush at once: go on.
                }
            }

            return (total, false);
        }).WaitAsync(Bound);
        Assert.That(cancelled, Is.True, $"no flush waited after {written} bytes");

        // A token cancels a waiting flush too.
        Task<string> tokenFlush = server.Worker.RunAsync(async () =>
        {
            using var cts = new CancellationTokenSource(50);
            try
            {
                await pipe.Output.FlushAsync(cts.Token);
                return "completed";
            }
            catch (OperationCanceledException)
            {
                return "cancelled";
            }
        });
        Assert.That(await tokenFlush.WaitAsync(Bound), Is.EqualTo("cancelled"));

        // The client reads everything: the rest is sent, and the next flush completes.
        Task<byte[]> drained = client.Worker.RunAsync(() => ReceiveExactlyAsync(client, (int)written));
        await server.Worker.RunAsync(async () => await pipe.Output.FlushAsync()).WaitAsync(Bound);
        Assert.That((await drained.WaitAsync(Bound)).Length, Is.EqualTo(written));
    }

    [Test]
    public async Task CancelPendingRead_AndAReadToken_EndTheWait_AndThePipeGoesOn()
    {
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        await using UringDuplexPipe pipe = server.AsDuplexPipe();
        await using var _ = client;

        (bool canceled, string tokenOutcome) = await server.Worker.RunAsync(async () =>
        {
            ValueTask<ReadResult> pending = pipe.Input.ReadAsync();
            pipe.Input.CancelPendingRead();
            ReadResult result = await pending;
            pipe.Input.AdvanceTo(result.Buffer.End);

            using var cts = new CancellationTokenSource(50);
            try
            {
                await pipe.Input.ReadAsync(cts.Token);
                return (result.IsCanceled, "completed");
            }
            catch (OperationCanceledException)
            {
                return (result.IsCanceled, "cancelled");
            }
        }).WaitAsync(Bound);
        Assert.That(canceled, Is.True);
        Assert.That(tokenOutcome, Is.EqualTo("cancelled"));

        await client.Worker.RunAsync(async () => await client.SendAsync("more"u8.ToArray()));
        string text = await server.Worker.RunAsync(async () =>
        {
            ReadResult result = await pipe.Input.ReadAsync();
            string s = Encoding.ASCII.GetString(result.Buffer);
            pipe.Input.AdvanceTo(result.Buffer.End);
            return s;
        }).WaitAsync(Bound);
        Assert.That(text, Is.EqualTo("more"));
    }

    [Test]
    public async Task Dispose_SendsWhatWasFlushed_ThenClosesTheSocket()
    {
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        UringDuplexPipe pipe = server.AsDuplexPipe();
        await using var _ = client;
        await server.Worker.RunAsync(async () =>
        {
            await pipe.Output.WriteAsync(new byte[100_000]);
            await pipe.DisposeAsync();
        }).WaitAsync(Bound);

        byte[] received = await client.Worker.RunAsync(() => ReceiveExactlyAsync(client, 200_000)).WaitAsync(Bound);
        Assert.That(received, Has.Length.EqualTo(100_000), "what was flushed, then end of stream");
        Assert.Throws<ObjectDisposedException>(() => server.ReceiveAsync(new byte[1]).AsTask());
        await pipe.DisposeAsync();
    }

    [Test]
    public void Options_OutOfRange_AreRefused()
    {
        using var socket = UringSocket.FromSocket(PlainPair(out Socket other));
        using var __ = other;
        Assert.That(() => socket.AsDuplexPipe(new UringPipeOptions { BufferSize = 100 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => socket.AsDuplexPipe(new UringPipeOptions { SendPauseThreshold = 10, SendResumeThreshold = 20 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => socket.AsDuplexPipe(new UringPipeOptions { ReceivePauseThreshold = -1 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        socket.Dispose();
        Assert.That(() => socket.AsDuplexPipe(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task Messages_OnTheWorker_TouchNoThreadPool_AndAllocateNothing_InSteadyState()
    {
        const int Warmup = 1000;
        const int Rounds = 5000;
        const int Size = 64;
        (UringSocket server, UringSocket client) = await PairAsync(_runtime, _listener);
        await using var _ = client;

        // The pipe, its loops and the echo all run on worker 0; the measured span is counted on that thread, from
        // inside the echo, between message Warmup and message Warmup + Rounds.
        UringDuplexPipe pipe = await server.Worker.RunAsync(() => Task.FromResult(server.AsDuplexPipe()));
        await using var __ = pipe;
        Task<(long Items, long Allocated, bool Stayed)> echo = server.Worker.RunAsync(async () =>
        {
            UringWorker worker = UringWorker.Current!;
            bool stayed = true;
            long bytes = 0;
            bool measuring = false;
            long itemsBefore = 0;
            long allocatedBefore = 0;
            while (true)
            {
                ReadResult result = await pipe.Input.ReadAsync();
                stayed &= UringWorker.Current == worker;
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    pipe.Output.Write(segment.Span);
                }

                bytes += result.Buffer.Length;
                pipe.Input.AdvanceTo(result.Buffer.End);
                await pipe.Output.FlushAsync();
                stayed &= UringWorker.Current == worker;
                if (!measuring && bytes >= Warmup * Size)
                {
                    measuring = true;
                    itemsBefore = ThreadPool.CompletedWorkItemCount;
                    allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                }
                else if (bytes >= (Warmup + Rounds) * Size)
                {
                    return (ThreadPool.CompletedWorkItemCount - itemsBefore, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, stayed);
                }
            }
        });

        // Ping-pong: one message in flight, so each read of the echo is exactly one message.
        await client.Worker.RunAsync(async () =>
        {
            Memory<byte> buffer = System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(Size, pinned: true), 0, Size);
            for (int i = 0; i < Warmup + Rounds; i++)
            {
                await client.SendAsync(buffer);
                int got = 0;
                while (got < Size)
                {
                    got += await client.ReceiveAsync(buffer[got..]);
                }
            }
        }).WaitAsync(TimeSpan.FromSeconds(60));

        (long items, long allocated, bool stayed) = await echo.WaitAsync(Bound);
        TestContext.Out.WriteLine($"{backend}: {items} ThreadPool items, {allocated} bytes allocated on the worker over {Rounds} messages");
        Assert.That(stayed, Is.True, "a continuation left the worker");
        // The count is process-wide (the test host's own work shows in it): anything per message would be 5000 or more.
        Assert.That(items, Is.LessThan(Rounds / 10), "anything per message would show as one item per message");
        Assert.That(allocated / (double)Rounds, Is.LessThan(1), "bytes allocated per message on the worker");
    }

    private static Socket PlainPair(out Socket other)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        other = listener.Accept();
        return client;
    }
}
