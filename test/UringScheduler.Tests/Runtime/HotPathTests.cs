namespace UringScheduler.Tests.Runtime;

/// <summary>The hot path's promises: no ThreadPool, no allocation, no CPU when idle, no wake-ups for a busy worker.</summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class HotPathTests(UringBackend backend)
{
    private UringRuntime _runtime = null!;

    [SetUp]
    public void SetUp() => _runtime = TestRuntime.Create(backend);

    [TearDown]
    public async Task TearDown() => await _runtime.DisposeAsync();

    [Test]
    public async Task RingOps_DoNotTouchTheThreadPool()
    {
        UringWorker worker = _runtime.Workers[0];
        long delta = await worker.RunAsync(async () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                await worker.NopAsync();
            }

            long before = ThreadPool.CompletedWorkItemCount;
            for (int i = 0; i < 100_000; i++)
            {
                await worker.NopAsync();
            }

            return ThreadPool.CompletedWorkItemCount - before;
        });

        // Anything per operation would show as 100 000. The count is process-wide: the test host's own timers queue
        // items meanwhile, more the longer a loaded machine takes over the loop.
        TestContext.Out.WriteLine($"{backend}: ThreadPool work items over 100 000 NOPs: {delta}");
        Assert.That(delta, Is.LessThan(1000));
    }

    [Test]
    public async Task RingOps_AllocateNothingInSteadyState()
    {
        UringWorker worker = _runtime.Workers[0];
        long allocated = await worker.RunAsync(async () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                await worker.NopAsync();
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100_000; i++)
            {
                await worker.NopAsync();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        TestContext.Out.WriteLine($"Bytes allocated on the worker over 100 000 NOPs: {allocated}");
        Assert.That(allocated / 100_000.0, Is.LessThan(0.01));
    }

    [Test]
    public async Task ManyOpsInFlight_FromSeveralLoops_AllComplete()
    {
        const int Loops = 64, PerLoop = 2000;
        int total = 0;
        var tasks = new List<Task>();
        for (int l = 0; l < Loops; l++)
        {
            UringWorker worker = _runtime.Workers[l % 2];
            tasks.Add(worker.RunAsync(async () =>
            {
                for (int i = 0; i < PerLoop; i++)
                {
                    await worker.NopAsync();
                    Interlocked.Increment(ref total);
                }
            }));
        }

        await Task.WhenAll(tasks);
        Assert.That(total, Is.EqualTo(Loops * PerLoop));
    }

    [Test]
    public void IdleRuntime_BurnsNoCpu()
    {
        Thread.Sleep(200); // let start-up settle
        long before = RuntimeThreadsCpuNanoseconds();
        Thread.Sleep(2000);
        long used = RuntimeThreadsCpuNanoseconds() - before;
        TestContext.Out.WriteLine($"CPU used by the runtime's threads over 2 s idle: {used / 1e6:F3} ms");

        // A spinning worker would use ~2000 ms. (The whole process's CPU time is not used here: the test host's JIT and
        // ThreadPool work during the same 2 s are not the runtime's.)
        Assert.That(used / 1e6, Is.LessThan(20));
    }

    // Sums on-CPU time (schedstat, nanoseconds) of the threads the runtime started: uring-worker-N and uring-fallback-io-N.
    private static long RuntimeThreadsCpuNanoseconds()
    {
        long total = 0;
        foreach (string dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).StartsWith("uring-", StringComparison.Ordinal))
                {
                    total += long.Parse(File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // the thread exited meanwhile
            }
        }

        return total;
    }

    [Test]
    public async Task BusyWorker_GetsNoWakeUps()
    {
        UringWorker worker = _runtime.Workers[0];
        using var stop = new CancellationTokenSource();
        var busy = worker.RunAsync(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Yield(); // always ready work: the worker never announces a sleep
            }
        });

        await Task.Delay(50);
        long cpuBefore = RuntimeThreadsCpuNanoseconds();
        long before = worker.WakeWrites;
        int received = 0;
        for (int i = 0; i < 10_000; i++)
        {
            worker.SynchronizationContext.Post(_ => Interlocked.Increment(ref received), null);
        }

        // The CPU time is read from tick-based counters, and a loaded machine may give the worker little of it: wait
        // until it has clearly run (bounded), so that the check below tells a busy worker from an idle one.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long busyCpu;
        do
        {
            await Task.Delay(100);
            busyCpu = RuntimeThreadsCpuNanoseconds() - cpuBefore;
        }
        while (busyCpu / 1e6 <= 20 && watch.Elapsed < TimeSpan.FromSeconds(10));

        long writes = worker.WakeWrites - before;
        stop.Cancel();
        await busy;
        TestContext.Out.WriteLine($"eventfd writes for 10 000 posts to a busy worker: {writes}");
        Assert.That(received, Is.EqualTo(10_000));
        Assert.That(writes, Is.Zero);

        // Also shows that the CPU probe IdleRuntime_BurnsNoCpu relies on does see a busy worker.
        Assert.That(busyCpu / 1e6, Is.GreaterThan(20));
    }

    [Test]
    public async Task SleepingWorker_IsWokenByAPost()
    {
        UringWorker worker = _runtime.Workers[0];
        await Task.Delay(50); // the worker is asleep in the kernel now
        long before = worker.WakeWrites;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.SynchronizationContext.Post(_ => done.SetResult(), null);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(worker.WakeWrites - before, Is.EqualTo(1));
    }
}
