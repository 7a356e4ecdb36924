using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>
/// What only UringRandomAccess does (no differential possible): unseekable handles, cancellation of operations in
/// flight, and the lifetime of buffers and handles while the kernel owns them.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccessInFlightTests(UringBackend backend)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private UringRuntime _runtime = null!;
    private Scratch _scratch = null!;

    [SetUp]
    public void SetUp()
    {
        Assert.That(UringRuntime.Ambient, Is.Null, "a runtime from an earlier test is still alive");
        _runtime = TestRuntime.Create(backend);
        _scratch = new Scratch();
    }

    [TearDown]
    public async Task TearDown()
    {
        // Bounded: a lost completion must fail the test, not hang the run.
        await _runtime.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        _scratch.Dispose();
    }

    private int InFlight => _runtime.Workers.Sum(w => w.OperationsInFlight);

    private static void WritePipe(SafeFileHandle write, byte[] data)
    {
        // A plain write(2) on the test thread: the pipe is the test's fixture, not the code under test.
        using var stream = new FileStream(new SafeFileHandle(write.DangerousGetHandle(), ownsHandle: false), FileAccess.Write, 1);
        stream.Write(data);
    }

    [Test]
    public async Task Pipe_OffsetsAreIgnored_NegativeOffsetStillRejected()
    {
        (SafeFileHandle read, SafeFileHandle write) = _scratch.Pipe();
        UringWorker worker = _runtime.Workers[0];
        await worker.RunAsync(async () =>
        {
            await UringRandomAccess.WriteAsync(write, new byte[] { 1, 2, 3 }, 1_000_000);
            await UringRandomAccess.WriteAsync(write, new ReadOnlyMemory<byte>[] { new byte[] { 4 }, new byte[] { 5, 6 } }, 77);
            byte[] buffer = new byte[2];
            Assert.That(await UringRandomAccess.ReadAsync(read, buffer, 123_456), Is.EqualTo(2));
            Assert.That(buffer, Is.EqualTo(new byte[] { 1, 2 }));
            byte[] a = new byte[1], b = new byte[10];
            Assert.That(await UringRandomAccess.ReadAsync(read, new Memory<byte>[] { a, b }, 5), Is.EqualTo(4));
            Assert.That(a.Concat(b.Take(3)), Is.EqualTo(new byte[] { 3, 4, 5, 6 }));
        });

        // From a foreign thread too.
        WritePipe(write, [42]);
        byte[] one = new byte[1];
        Assert.That(await UringRandomAccess.ReadAsync(read, one, 99), Is.EqualTo(1));
        Assert.That(one[0], Is.EqualTo(42));

        ArgumentOutOfRangeException? e = Assert.Throws<ArgumentOutOfRangeException>(() => UringRandomAccess.ReadAsync(read, one, -1));
        Assert.That(e!.ParamName, Is.EqualTo("fileOffset"));
        e = Assert.Throws<ArgumentOutOfRangeException>(() => UringRandomAccess.WriteAsync(write, one, -1));
        Assert.That(e!.ParamName, Is.EqualTo("fileOffset"));
    }

    [Test]
    public async Task PipeRead_CanceledAfter50ms_EndsCanceled_NothingConsumed([Values] bool onWorker)
    {
        (SafeFileHandle read, SafeFileHandle write) = _scratch.Pipe();
        UringWorker worker = _runtime.Workers[0];
        using var cts = new CancellationTokenSource();
        byte[] buffer = new byte[64];
        Array.Fill(buffer, (byte)0xAB);

        Task<int> pending = onWorker
            ? worker.RunAsync(() => UringRandomAccess.ReadAsync(read, buffer, 0, cts.Token).AsTask())
            : UringRandomAccess.ReadAsync(read, buffer, 0, cts.Token).AsTask();
        await Task.Delay(50);
        Assert.That(pending.IsCompleted, Is.False, "a read on an empty pipe cannot complete");
        cts.Cancel();

        OperationCanceledException? e = Assert.ThrowsAsync<OperationCanceledException>(() => pending.WaitAsync(s_timeout));
        Assert.That(e!.CancellationToken, Is.EqualTo(cts.Token));
        Assert.That(pending.IsCanceled, Is.True);
        Assert.That(buffer.AsSpan().IndexOfAnyExcept((byte)0xAB), Is.EqualTo(-1), "the cancelled read wrote into the buffer");

        // Whatever the cancelled read left behind, the next read gets all the data.
        byte[] data = [10, 20, 30, 40, 50];
        WritePipe(write, data);
        byte[] next = new byte[64];
        int n = await worker.RunAsync(() => UringRandomAccess.ReadAsync(read, next, 0).AsTask()).WaitAsync(s_timeout);
        Assert.That(next.AsSpan(0, n).ToArray(), Is.EqualTo(data));
        Assert.That(buffer.AsSpan().IndexOfAnyExcept((byte)0xAB), Is.EqualTo(-1));
        Assert.That(InFlight, Is.Zero);
    }

    [Test]
    public async Task TwoHundredPipeReads_CanceledAtOnceUnderGC_AllCanceled_BuffersUntouched()
    {
        const int Reads = 200;
        var pipes = Enumerable.Range(0, Reads).Select(_ => _scratch.Pipe()).ToArray();
        var buffers = new byte[Reads][];
        var tasks = new Task<int>[Reads];
        using var cts = new CancellationTokenSource();
        UringWorker worker = _runtime.Workers[0];

        // Half issued on a worker, half from this thread (served by the ambient runtime's workers).
        await worker.RunAsync(() =>
        {
            for (int i = 0; i < Reads / 2; i++)
            {
                buffers[i] = Filled(i);
                tasks[i] = UringRandomAccess.ReadAsync(pipes[i].Read, buffers[i], 0, cts.Token).AsTask();
            }

            return Task.CompletedTask;
        });
        for (int i = Reads / 2; i < Reads; i++)
        {
            buffers[i] = Filled(i);
            tasks[i] = UringRandomAccess.ReadAsync(pipes[i].Read, buffers[i], 0, cts.Token).AsTask();
        }

        await WaitUntil(() => InFlight == Reads);

        // Compacting collections while everything is in flight and being cancelled: an unpinned buffer would move
        // under the kernel.
        using var stop = new ManualResetEventSlim();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                _ = new byte[10_000];
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                collections++;

                // Back to back, forced collections suspend every thread almost all the time and starve the workers
                // (the run took over a minute on a loaded 2-core machine); a millisecond apart they still compact
                // many times while the cancellations are in flight.
                Thread.Sleep(1);
            }
        });
        collector.Start();
        try
        {
            await Task.Delay(20);
            cts.Cancel();
            await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(s_timeout));
        }
        finally
        {
            stop.Set();
            collector.Join();
        }

        TestContext.Out.WriteLine($"{collections} forced compacting collections while cancelling");
        Assert.That(tasks.Count(t => t.IsCanceled), Is.EqualTo(Reads));
        Assert.That(InFlight, Is.Zero);
        for (int i = 0; i < Reads; i++)
        {
            Assert.That(buffers[i], Is.EqualTo(Filled(i)), $"buffer {i} changed");
        }

        // Nothing was consumed from any pipe, and the old buffers stay as they were when data does arrive.
        for (int i = 0; i < Reads; i++)
        {
            WritePipe(pipes[i].Write, [(byte)i, (byte)(i >> 8), 7]);
        }

        int[] counts = await worker.RunAsync(async () =>
        {
            int[] n = new int[Reads];
            for (int i = 0; i < Reads; i++)
            {
                byte[] fresh = new byte[16];
                n[i] = await UringRandomAccess.ReadAsync(pipes[i].Read, fresh, 0);
                Assert.That(fresh.AsSpan(0, 3).ToArray(), Is.EqualTo(new byte[] { (byte)i, (byte)(i >> 8), 7 }));
            }

            return n;
        }).WaitAsync(s_timeout);
        Assert.That(counts, Is.All.EqualTo(3));
        for (int i = 0; i < Reads; i++)
        {
            Assert.That(buffers[i], Is.EqualTo(Filled(i)), $"buffer {i} changed after data arrived");
        }

        static byte[] Filled(int i)
        {
            byte[] b = new byte[32];
            Array.Fill(b, (byte)(i | 0x80));
            return b;
        }
    }

    [Test]
    public async Task DisposingHandle_WithReadsInFlight_FdStaysOpenUntilTheyComplete()
    {
        (SafeFileHandle read, SafeFileHandle write) = _scratch.Pipe();
        int fd = (int)read.DangerousGetHandle();
        string? target = ReadLink(fd);
        Assert.That(target, Does.StartWith("pipe:"));
        UringWorker worker = _runtime.Workers[0];
        using var cts = new CancellationTokenSource();

        // One read issued on a worker, one from this thread; both hold the handle.
        byte[] first = new byte[8], second = new byte[8];
        Task<int> a = worker.RunAsync(() => UringRandomAccess.ReadAsync(read, first, 0, cts.Token).AsTask());
        Task<int> b = UringRandomAccess.ReadAsync(read, second, 0, cts.Token).AsTask();
        await WaitUntil(() => InFlight == 2);

        // SafeHandle semantics: Dispose marks the handle disposed, but it is closed (IsClosed, close(2)) only when the
        // last reference taken with DangerousAddRef is released.
        read.Dispose();
        Assert.That(read.IsClosed, Is.False);
        Assert.That(ReadLink(fd), Is.EqualTo(target), "the descriptor was closed under reads in flight");

        // The descriptor still works for the reads that hold it: one of them gets the data (either may win).
        WritePipe(write, [1, 2, 3]);
        Task<int> done = await Task.WhenAny(a, b).WaitAsync(s_timeout);
        Task<int> other = done == a ? b : a;
        int n = await done;
        Assert.That((done == a ? first : second).AsSpan(0, n).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        await Task.Delay(20);
        Assert.That(other.IsCompleted, Is.False);
        Assert.That(ReadLink(fd), Is.EqualTo(target), "closed while the other read still holds the handle");

        cts.Cancel();
        Assert.ThrowsAsync<OperationCanceledException>(() => other.WaitAsync(s_timeout));
        Assert.That(InFlight, Is.Zero);

        // Last reference released: the handle really closed the descriptor (or the number now names something else).
        Assert.That(read.IsClosed, Is.True);
        Assert.That(ReadLink(fd), Is.Not.EqualTo(target));
    }

    [Test]
    public async Task RuntimeShutdown_WithPipeReadsInFlight_TasksEndWithObjectDisposed()
    {
        const int Reads = 8;
        var pipes = Enumerable.Range(0, Reads).Select(_ => _scratch.Pipe()).ToArray();
        var buffers = Enumerable.Range(0, Reads).Select(_ => new byte[16]).ToArray();
        var tasks = new Task<int>[Reads];
        await _runtime.Workers[1].RunAsync(() =>
        {
            for (int i = 0; i < Reads / 2; i++)
            {
                tasks[i] = UringRandomAccess.ReadAsync(pipes[i].Read, buffers[i], 0).AsTask();
            }

            return Task.CompletedTask;
        });
        for (int i = Reads / 2; i < Reads; i++)
        {
            tasks[i] = UringRandomAccess.ReadAsync(pipes[i].Read, buffers[i], 0).AsTask();
        }

        await WaitUntil(() => InFlight == Reads);
        await _runtime.DisposeAsync().AsTask().WaitAsync(s_timeout);

        // The operations have all completed when DisposeAsync returns; AsTask's continuations may still be queued.
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(s_timeout));

        foreach (Task<int> task in tasks)
        {
            Assert.That(task.Exception?.InnerException, Is.TypeOf<ObjectDisposedException>(), task.Status.ToString());
        }

        Assert.That(InFlight, Is.Zero);
        Assert.That(buffers.SelectMany(b => b), Is.All.Zero);

        // Nothing was consumed: the data written now is all still in the pipes.
        for (int i = 0; i < Reads; i++)
        {
            WritePipe(pipes[i].Write, [9, 8]);
            byte[] back = new byte[4];
            using var stream = new FileStream(new SafeFileHandle(pipes[i].Read.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
            Assert.That(stream.Read(back), Is.EqualTo(2));
            Assert.That(back.AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 9, 8 }));
        }
    }

    [Test]
    public async Task BurstOfReadsCanceledBeforeTheyReachTheKernel_AllEndCanceled([Values(128, 200)] int reads)
    {
        // More reads than the submission queue holds (64 entries here), issued and cancelled in one synchronous
        // burst on the worker: most are still queued behind a full SQ when their cancellation is requested. With a
        // multiple of the SQ size, the last reads fill the SQ exactly and the cancels must still get through.
        int Reads = reads;
        var pipes = Enumerable.Range(0, Reads).Select(_ => _scratch.Pipe()).ToArray();
        var tasks = new Task<int>[Reads];
        UringWorker worker = _runtime.Workers[0];
        await worker.RunAsync(() =>
        {
            using var cts = new CancellationTokenSource();
            for (int i = 0; i < Reads; i++)
            {
                tasks[i] = UringRandomAccess.ReadAsync(pipes[i].Read, new byte[8], 0, cts.Token).AsTask();
            }

            cts.Cancel();
            return Task.CompletedTask;
        });

        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(s_timeout));
        Assert.That(tasks.Count(t => !t.IsCompleted), Is.Zero, "reads whose cancellation was lost");
        Assert.That(tasks.Count(t => t.IsCanceled), Is.EqualTo(Reads));
        Assert.That(InFlight, Is.Zero);
    }

    [Test]
    public async Task TwoReadsOnOnePipe_TheOneLeftWithoutDataStaysCancelable()
    {
        // Both reads see the pipe become readable; one takes the byte. The other must go back to waiting where a
        // cancellation can reach it (the fallback used to block in read(2) for good here).
        for (int round = 0; round < 20; round++)
        {
            (SafeFileHandle read, SafeFileHandle write) = _scratch.Pipe();
            using var cts = new CancellationTokenSource();
            Task<int> a = UringRandomAccess.ReadAsync(read, new byte[4], 0, cts.Token).AsTask();
            Task<int> b = _runtime.Workers[0].RunAsync(() => UringRandomAccess.ReadAsync(read, new byte[4], 0, cts.Token).AsTask());
            await WaitUntil(() => InFlight == 2);
            WritePipe(write, [1]);
            Task<int> first = await Task.WhenAny(a, b).WaitAsync(s_timeout);
            Assert.That(await first, Is.EqualTo(1));
            cts.Cancel();
            Task<int> other = first == a ? b : a;
            await Task.WhenAny(other, Task.Delay(s_timeout));
            Assert.That(other.IsCanceled, Is.True, $"round {round}: {other.Status}");
        }

        Assert.That(InFlight, Is.Zero);
    }

    private static unsafe bool PipeHasData(SafeFileHandle read)
    {
        Native.Interop.Libc.PollFd poll = new() { Fd = (int)read.DangerousGetHandle(), Events = Native.Interop.Libc.POLLIN };
        return Native.Interop.Libc.Poll(&poll, 1, 0) > 0;
    }

    [Test]
    public async Task BlockingPipeWrite_LargerThanThePipe_NoReader_CanceledAfter50ms([Values] bool onWorker)
    {
        // The first 64 KiB fit, the rest waits for a reader that never comes: the wait must be cancellable (the
        // fallback used to sit in a blocking write(2) that no cancellation reaches).
        (SafeFileHandle read, SafeFileHandle write) = _scratch.Pipe();
        byte[] data = Scratch.RandomBytes(1 << 20, seed: 14);
        using var cts = new CancellationTokenSource();
        Task pending = onWorker
            ? _runtime.Workers[0].RunAsync(() => UringRandomAccess.WriteAsync(write, data, 0, cts.Token).AsTask())
            : UringRandomAccess.WriteAsync(write, data, 0, cts.Token).AsTask();
        await Task.Delay(50);
        await WaitUntil(() => PipeHasData(read)); // on a loaded machine the first part may take longer than 50 ms
        Assert.That(pending.IsCompleted, Is.False);
        cts.Cancel();
        await Task.WhenAny(pending, Task.Delay(s_timeout));
        Assert.That(pending.IsCanceled, Is.True, pending.Status.ToString());
        Assert.That(InFlight, Is.Zero);

        write.Dispose();
        using var stream = new FileStream(new SafeFileHandle(read.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
        using var drained = new MemoryStream();
        stream.CopyTo(drained);
        Assert.That(drained.Length, Is.GreaterThan(0).And.LessThan(data.Length));
        Assert.That(drained.ToArray(), Is.EqualTo(data.AsSpan(0, (int)drained.Length).ToArray()), "what was written is a prefix");
    }

    [Test]
    public async Task WriteCanceledAfterAShortWrite_EndsCanceled_NotReportedAsComplete()
    {
        // A pipe holds 64 KiB: a 256 KiB write completes short at once, and the rest would wait for a reader. The
        // token is cancelled by a continuation that runs in the same completion batch, just before the write's short
        // completion is processed: the write did not complete in full, so it must not report success.
        (SafeFileHandle read, SafeFileHandle write) = _scratch.Pipe(nonBlocking: true);
        UringWorker worker = _runtime.Workers[0];
        byte[] data = Scratch.RandomBytes(256 * 1024, seed: 13);
        using var cts = new CancellationTokenSource();
        Outcome outcome = await worker.RunAsync(async () =>
        {
            ValueTask nop = worker.NopAsync();
            Task<Outcome> pending = Outcome.Of(() => UringRandomAccess.WriteAsync(write, data, 0, cts.Token), cts.Token);
            await nop;
            cts.Cancel();
            return await pending;
        }).WaitAsync(s_timeout);
        Assert.That(InFlight, Is.Zero);

        // Drain what reached the pipe.
        write.Dispose();
        using var stream = new FileStream(new SafeFileHandle(read.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
        Mono.Unix.Native.Syscall.fcntl((int)read.DangerousGetHandle(), Mono.Unix.Native.FcntlCommand.F_SETFL, 0);
        using var drained = new MemoryStream();
        stream.CopyTo(drained);
        TestContext.Out.WriteLine($"{outcome}; {drained.Length} bytes reached the pipe");

        if (outcome.Kind == OutcomeKind.Value)
        {
            Assert.That(drained.ToArray(), Is.EqualTo(data), "the write reported success but did not write everything");
        }
        else
        {
            Assert.That(outcome.Exception, Is.InstanceOf<OperationCanceledException>());
            Assert.That(outcome.CarriesToken, Is.True);
            Assert.That(drained.ToArray(), Is.EqualTo(data.AsSpan(0, (int)drained.Length).ToArray()), "what was written is a prefix");
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        long deadline = Environment.TickCount64 + (long)s_timeout.TotalMilliseconds;
        while (!condition())
        {
            Assert.That(Environment.TickCount64, Is.LessThan(deadline), "timed out waiting for operations to be in flight");
            await Task.Delay(5);
        }

        // In flight means submitted; give the kernel (or the fallback's threads) a moment to block on the pipes.
        await Task.Delay(20);
    }

    private static string? ReadLink(int fd)
    {
        var target = new System.Text.StringBuilder(256);
        return Mono.Unix.Native.Syscall.readlink($"/proc/self/fd/{fd}", target) < 0 ? null : target.ToString();
    }
}
