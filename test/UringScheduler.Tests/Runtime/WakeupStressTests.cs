namespace UringScheduler.Tests.Runtime;

/// <summary>
/// Round trips from other threads while the worker keeps waking for its own completions: the interleavings in which
/// a wake-up could be lost (written while the worker is busy, consumed, then the worker sleeps again).
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class WakeupStressTests(UringBackend backend)
{
    [Test]
    public async Task PostAndWait_RoundTrips_FromSeveralThreads_NoneLost()
    {
        // No timer here: a lost wake-up would leave the worker asleep for good, and the round trip would time out.
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1);
        UringWorker worker = runtime.Workers[0];
        int lost = RoundTrips(worker, producers: 4, rounds: 5000);
        Assert.That(lost, Is.Zero, "a post waited 5 s for a worker that did not wake");
        TestContext.Out.WriteLine($"20000 round trips, {worker.WakeWrites} eventfd writes");
    }

    [Test]
    public async Task PostFlood_ThenDispose_TheStopWakeUpIsNotSwallowed()
    {
        // Producers racing with the worker's own wake-ups once left the wake-up flag set while it slept; the force
        // wake-up of DisposeAsync was then swallowed and shutdown hung.
        for (int round = 0; round < 40; round++)
        {
            UringRuntime runtime = TestRuntime.Create(backend, workers: 1);
            UringWorker worker = runtime.Workers[0];
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    worker.SynchronizationContext.Post(static _ => { }, null);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Task dispose = runtime.DisposeAsync().AsTask();
            Assert.That(await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(dispose), $"DisposeAsync hung in round {round}");
        }
    }

    private static int RoundTrips(UringWorker worker, int producers, int rounds)
    {
        int lost = 0;
        var threads = Enumerable.Range(0, producers).Select(_ => new Thread(() =>
        {
            using var ack = new SemaphoreSlim(0);
            for (int i = 0; i < rounds; i++)
            {
                worker.SynchronizationContext.Post(static s => ((SemaphoreSlim)s!).Release(), ack);
                if (!ack.Wait(TimeSpan.FromSeconds(5)))
                {
                    Interlocked.Increment(ref lost);
                    return;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return lost;
    }

    [Test]
    public async Task PostAndWait_RoundTrips_WhileTheWorkerWakesForTimers_NoneLost()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1);
        UringWorker worker = runtime.Workers[0];
        using var stop = new CancellationTokenSource();
        Task ticker = worker.RunAsync(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await worker.DelayAsync(TimeSpan.FromTicks(2000)); // 200 µs: CQEs that wake the worker on their own
            }
        });

        const int Producers = 2, Rounds = 5000;
        int lost = RoundTrips(worker, Producers, Rounds);
        stop.Cancel();
        await ticker;

        Assert.That(lost, Is.Zero, "a post waited 5 s for a worker that did not wake");
        TestContext.Out.WriteLine($"{Producers * Rounds} round trips, {worker.WakeWrites} eventfd writes");
    }
}
