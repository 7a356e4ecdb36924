using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>
/// The hot path of a file read on a worker with io_uring: nothing allocated and no ThreadPool work item per read in
/// steady state. The figures are printed so they can be reported.
/// </summary>
public class UringRandomAccessHotPathTests
{
    private const int Reads = 100_000;
    private const int BlockSize = 4096;
    private const int Blocks = 256;

    private UringRuntime _runtime = null!;
    private Scratch _scratch = null!;
    private SafeFileHandle _handle = null!;

    [SetUp]
    public void SetUp()
    {
        Assert.That(UringRuntime.Ambient, Is.Null, "a runtime from an earlier test is still alive");
        _runtime = TestRuntime.Create(UringBackend.IoUring);
        _scratch = new Scratch();
        _handle = _scratch.OpenFile(Scratch.RandomBytes(Blocks * BlockSize, seed: 12), FileAccess.Read);
    }

    [TearDown]
    public async Task TearDown()
    {
        // Bounded: a lost completion must fail the test, not hang the run.
        await _runtime.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        _scratch.Dispose();
    }

    /// <summary>Runs <see cref="Reads"/> 4 KiB reads after a warm-up and returns the delta of <paramref name="counter"/>.</summary>
    private Task<(long Delta, double Seconds)> MeasureAsync(Func<long> counter)
    {
        UringWorker worker = _runtime.Workers[0];
        SafeFileHandle handle = _handle;
        return worker.RunAsync(async () =>
        {
            byte[] buffer = GC.AllocateArray<byte>(BlockSize, pinned: true);
            long expected = 0;
            for (int i = 0; i < 2000; i++)
            {
                expected += await UringRandomAccess.ReadAsync(handle, buffer, (long)(i % Blocks) * BlockSize);
            }

            Assert.That(UringWorker.Current, Is.SameAs(worker));
            long before = counter();
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            long bytes = 0;
            for (int i = 0; i < Reads; i++)
            {
                bytes += await UringRandomAccess.ReadAsync(handle, buffer, (long)(i * 37 % Blocks) * BlockSize);
            }

            long delta = counter() - before;
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            Assert.That(bytes, Is.EqualTo((long)Reads * BlockSize), "every read must be a full block");
            Assert.That(UringWorker.Current, Is.SameAs(worker));
            return (delta, seconds);
        });
    }

    [Test]
    public async Task FileRead4K_AllocatesNothingPerRead()
    {
        (long allocated, double seconds) = await MeasureAsync(GC.GetAllocatedBytesForCurrentThread);
        double perRead = allocated / (double)Reads;
        TestContext.Out.WriteLine($"Bytes allocated on the worker over {Reads} 4 KiB reads: {allocated} ({perRead:F4} per read); {Reads / seconds:F0} reads/s");

        // Anything per read would be >= 24 bytes (the smallest object); allow a few stray objects over the run.
        Assert.That(perRead, Is.LessThan(0.05));
    }

    [Test]
    public async Task FileRead4K_QueuesNoThreadPoolWork()
    {
        (long items, double seconds) = await MeasureAsync(() => ThreadPool.CompletedWorkItemCount);
        TestContext.Out.WriteLine($"ThreadPool work items completed over {Reads} 4 KiB reads on a worker: {items} ({items * 1_000_000.0 / Reads:F0} per 10^6 reads); {Reads / seconds:F0} reads/s");

        // The counter is process-wide: the test host's own traffic runs a few items a second (16 over a 1.2 s run of
        // 10^6 reads, measured). One item per read would show as 100 000; 0.1 % of that is the bound.
        Assert.That(items, Is.LessThan(Reads / 1000));
    }
}
