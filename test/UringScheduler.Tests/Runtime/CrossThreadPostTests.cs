namespace UringScheduler.Tests.Runtime;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class CrossThreadPostTests(UringBackend backend)
{
    [Test]
    public async Task ContendedPosts_NoneLost_OrderPerProducerKept()
    {
        const int Producers = 4, PerProducer = 100_000;
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1);
        UringWorker worker = runtime.Workers[0];
        var next = new int[Producers];
        int outOfOrder = 0, wrongThread = 0, received = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Runs on the worker only, so plain fields are safe here.
        void OnItem(int producer, int sequence)
        {
            if (UringWorker.Current != worker)
            {
                wrongThread++;
            }

            if (next[producer] != sequence)
            {
                outOfOrder++;
            }

            next[producer] = sequence + 1;
            if (++received == Producers * PerProducer)
            {
                allDone.SetResult();
            }
        }

        var threads = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            SynchronizationContext context = worker.SynchronizationContext;
            for (int i = 0; i < PerProducer; i++)
            {
                int sequence = i;
                context.Post(_ => OnItem(p, sequence), null);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        await allDone.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(received, Is.EqualTo(Producers * PerProducer));
        Assert.That(outOfOrder, Is.Zero);
        Assert.That(wrongThread, Is.Zero);
        TestContext.Out.WriteLine($"eventfd writes for {Producers * PerProducer} posts: {worker.WakeWrites}");
    }
}
