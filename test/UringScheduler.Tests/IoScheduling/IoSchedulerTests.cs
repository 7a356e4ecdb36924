using Microsoft.Win32.SafeHandles;
using UringScheduler.Files;
using UringScheduler.IoScheduling;

namespace UringScheduler.Tests.IoScheduling;

/// <summary>
/// The device-aware I/O scheduler against the real kernel: a device's capacity bounds what reaches the kernel, what is
/// over it waits in user space and is served, a queued request can be cancelled or cut short by disposal, and workers
/// share one capacity without starving. Files are attributed to a device made for the test, so the bound is known and
/// small whatever file system the temporary folder is on.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public sealed class IoSchedulerTests(UringBackend backend)
{
    private const int BlockSize = 4096;
    private const int FileBlocks = 256;

    private string _path = null!;
    private byte[] _content = null!;

    [SetUp]
    public void SetUp() => _path = TestFiles.CreateRandom(FileBlocks * BlockSize, out _content);

    [TearDown]
    public void TearDown() => File.Delete(_path);

    [Test]
    public async Task OverCapacity_RequestsWaitInUserSpace_AndAllCompleteWithTheirData()
    {
        await using UringRuntime runtime = Create(workers: 1, capacity: 2, probes: false);
        using SafeFileHandle handle = File.OpenHandle(_path);
        BlockDevice device = Attribute(handle);

        int[] offsets = await runtime.Workers[0].RunAsync(() => ReadManyAsync(handle, count: 64, seed: 1));

        DeviceBudget budget = runtime.DeviceBudgets.Of(device);
        IoClassCounters counters = runtime.Workers[0].IoScheduler!.Counters(UringIoClass.Foreground.Id);
        Assert.Multiple(() =>
        {
            Assert.That(offsets, Has.Length.EqualTo(64));
            Assert.That(counters.Completed, Is.EqualTo(64));
            Assert.That(counters.Waited, Is.GreaterThanOrEqualTo(62), "64 reads issued at once over a capacity of 2: all but 2 wait");
            Assert.That(counters.Queued, Is.Zero);
            Assert.That(counters.InFlight, Is.Zero);
            Assert.That(budget.PeakUsed, Is.InRange(1, 2), "never more than the capacity on the device");
            Assert.That(budget.Used, Is.Zero, "every unit given back once the worker has nothing in flight");
        });
    }

    [Test]
    public async Task QueuedRequest_CancelledByItsToken_EndsWithoutReachingTheKernel()
    {
        await using UringRuntime runtime = Create(workers: 1, capacity: 1, probes: false);
        using SafeFileHandle handle = File.OpenHandle(_path);
        Attribute(handle);

        (int completed, int canceled) = await runtime.Workers[0].RunAsync(async () =>
        {
            using var cts = new CancellationTokenSource();
            var reads = new List<Task<int>>();
            for (int i = 0; i < 20; i++)
            {
                reads.Add(UringRandomAccess.ReadAsync(handle, new byte[BlockSize], i * BlockSize, cts.Token).AsTask());
            }

            // On the worker, so the callbacks run now: the first read holds the only unit, the other 19 are queued.
            cts.Cancel();
            int ok = 0, cancelled = 0;
            foreach (Task<int> read in reads)
            {
                try
                {
                    Assert.That(await read, Is.EqualTo(BlockSize));
                    ok++;
                }
                catch (OperationCanceledException e)
                {
                    Assert.That(e.CancellationToken, Is.EqualTo(cts.Token));
                    cancelled++;
                }
            }

            return (ok, cancelled);
        });

        Assert.That(completed + canceled, Is.EqualTo(20));
        Assert.That(canceled, Is.GreaterThanOrEqualTo(19), "the queued reads end cancelled at once");
        Assert.That(runtime.Workers[0].IoScheduler!.Queued, Is.Zero);
    }

    [Test]
    public async Task Dispose_WithRequestsQueued_EndsEachOne()
    {
        UringRuntime runtime = Create(workers: 1, capacity: 1, probes: false);
        using SafeFileHandle handle = File.OpenHandle(_path);
        Attribute(handle);

        List<Task<int>> reads = await runtime.Workers[0].RunAsync(() =>
        {
            var started = new List<Task<int>>();
            for (int i = 0; i < 50; i++)
            {
                started.Add(UringRandomAccess.ReadAsync(handle, new byte[BlockSize], (i % FileBlocks) * BlockSize).AsTask());
            }

            return Task.FromResult(started);
        });
        await runtime.DisposeAsync();

        // Bounded: a read that never ends fails the checks below instead of hanging the test.
        await Task.WhenAny(Task.WhenAll(reads), Task.Delay(TimeSpan.FromSeconds(20)));
        foreach (Task<int> read in reads)
        {
            Assert.That(read.IsCompleted, Is.True, "no read waits forever after disposal");
            if (read.IsFaulted)
            {
                Assert.That(read.Exception!.InnerException, Is.TypeOf<ObjectDisposedException>());
            }
            else
            {
                Assert.That(read.Result, Is.EqualTo(BlockSize));
            }
        }
    }

    [Test]
    public async Task TwoWorkers_ShareOneCapacity_AndNeitherStarves()
    {
        await using UringRuntime runtime = Create(workers: 2, capacity: 1, probes: false);
        using SafeFileHandle handle = File.OpenHandle(_path);
        BlockDevice device = Attribute(handle);

        // Both start together, so that neither has a head start of reads done alone.
        var order = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int waiting = 0;
        Task<int[]> first = runtime.Workers[0].RunAsync(async () =>
        {
            Interlocked.Increment(ref waiting);
            await gate.Task;
            return await ReadManyAsync(handle, count: 1000, seed: 2, concurrency: 16, onRead: () => order.Enqueue(0));
        });
        Task<int[]> second = runtime.Workers[1].RunAsync(async () =>
        {
            Interlocked.Increment(ref waiting);
            await gate.Task;
            return await ReadManyAsync(handle, count: 1000, seed: 3, concurrency: 16, onRead: () => order.Enqueue(1));
        });
        Assert.That(SpinWait.SpinUntil(() => Volatile.Read(ref waiting) == 2, TimeSpan.FromSeconds(10)), Is.True);
        gate.SetResult();
        Task both = Task.WhenAll(first, second);
        Assert.That(await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(60))), Is.SameAs(both), "a worker waiting for capacity was never woken");
        await both;

        // Both backlogged on one unit: a worker that gives the unit back while the other waits passes it on, so while
        // both have reads left they take turns, and the worker changes from one read to the next about every time. A
        // worker that kept the unit would do its reads in runs of its 16 outstanding ones at least (a switch every 16
        // reads or fewer); a worker thread the OS does not run for a while lets the other go on alone meanwhile (runs
        // of tens or hundreds), as it should, but those are rare.
        int[] sequence = [.. order];
        int start = Math.Max(Array.IndexOf(sequence, 0), Array.IndexOf(sequence, 1));
        int end = Math.Min(Array.LastIndexOf(sequence, 0), Array.LastIndexOf(sequence, 1));
        int switches = 0;
        for (int i = start + 1; i <= end; i++)
        {
            switches += sequence[i] != sequence[i - 1] ? 1 : 0;
        }

        int overlap = end - start;
        int firstShare = sequence[start..(end + 1)].Count(w => w == 0);
        string shown = string.Join("", sequence);
        Assert.That(overlap, Is.GreaterThan(200), "both workers had reads to do at the same time: " + shown);
        Assert.That(switches, Is.GreaterThan(overlap / 4), "one worker kept the unit while the other waited: " + shown);
        Assert.That(firstShare, Is.InRange(overlap / 5, overlap * 4 / 5), "each worker's share of the reads while both had some: " + shown);

        DeviceBudget budget = runtime.DeviceBudgets.Of(device);
        Assert.Multiple(() =>
        {
            Assert.That(budget.PeakUsed, Is.EqualTo(1));
            Assert.That(budget.Used, Is.Zero);
            Assert.That(runtime.Workers[0].IoScheduler!.Counters(UringIoClass.Foreground.Id).Completed, Is.EqualTo(1000));
            Assert.That(runtime.Workers[1].IoScheduler!.Counters(UringIoClass.Foreground.Id).Completed, Is.EqualTo(1000));
        });
    }

    [Test]
    public async Task ForeignThreadRequests_GoThroughTheScheduler()
    {
        await using UringRuntime runtime = Create(workers: 2, capacity: 2, probes: false);
        using SafeFileHandle handle = File.OpenHandle(_path);
        BlockDevice device = Attribute(handle);

        var reads = new List<Task>();
        for (int i = 0; i < 40; i++)
        {
            int block = i;
            reads.Add(Task.Run(async () =>
            {
                byte[] buffer = new byte[BlockSize];
                Assert.That(await UringRandomAccess.ReadAsync(handle, buffer, block * BlockSize), Is.EqualTo(BlockSize));
                Assert.That(buffer, Is.EqualTo(_content.AsSpan(block * BlockSize, BlockSize).ToArray()));
            }));
        }

        await Task.WhenAll(reads);
        long completed = runtime.Workers.Sum(w => w.IoScheduler!.Counters(UringIoClass.Foreground.Id).Completed);
        Assert.That(completed, Is.EqualTo(40));
        Assert.That(runtime.DeviceBudgets.Of(device).PeakUsed, Is.InRange(1, 2));
    }

    [Test]
    public async Task SchedulerOff_SubmitsEverythingAtOnce()
    {
        var options = new UringRuntimeOptions { WorkerCount = 1, Backend = backend, RingEntries = 64 };
        options.IoScheduler.Enabled = false;
        await using var runtime = new UringRuntime(options);
        using SafeFileHandle handle = File.OpenHandle(_path);
        Attribute(handle);

        int[] offsets = await runtime.Workers[0].RunAsync(() => ReadManyAsync(handle, count: 32, seed: 4));

        Assert.That(offsets, Has.Length.EqualTo(32));
        Assert.That(runtime.Workers[0].IoScheduler, Is.Null);
    }

    private UringRuntime Create(int workers, int capacity, bool probes)
    {
        var options = new UringRuntimeOptions { WorkerCount = workers, Backend = backend, RingEntries = 64 };
        options.IoScheduler.DeviceCapacity = capacity;
        options.IoScheduler.TryPageCacheFirst = probes;
        return new UringRuntime(options);
    }

    private static BlockDevice Attribute(SafeFileHandle handle)
    {
        BlockDevice device = BlockDevice.CreateSynthetic("test", 64);
        FileProfile.Attribute(handle, device);
        return device;
    }

    // Reads `count` random blocks, `concurrency` at a time (all at once by default), checking each block's bytes.
    private async Task<int[]> ReadManyAsync(SafeFileHandle handle, int count, int seed, int concurrency = int.MaxValue, Action? onRead = null)
    {
        var random = new Random(seed);
        int[] blocks = Enumerable.Range(0, count).Select(_ => random.Next(FileBlocks)).ToArray();
        var inFlight = new List<(int Block, byte[] Buffer, Task<int> Read)>();
        int next = 0;
        while (next < count || inFlight.Count > 0)
        {
            while (next < count && inFlight.Count < concurrency)
            {
                byte[] buffer = new byte[BlockSize];
                inFlight.Add((blocks[next], buffer, UringRandomAccess.ReadAsync(handle, buffer, (long)blocks[next] * BlockSize).AsTask()));
                next++;
            }

            (int block, byte[] data, Task<int> read) = inFlight[0];
            inFlight.RemoveAt(0);
            Assert.That(await read, Is.EqualTo(BlockSize));
            Assert.That(data.AsSpan().SequenceEqual(_content.AsSpan(block * BlockSize, BlockSize)), Is.True, $"block {block}");
            onRead?.Invoke();
        }

        return blocks;
    }
}
