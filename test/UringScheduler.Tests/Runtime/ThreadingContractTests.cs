namespace UringScheduler.Tests.Runtime;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class ThreadingContractTests(UringBackend backend)
{
    private UringRuntime _runtime = null!;

    [SetUp]
    public void SetUp() => _runtime = TestRuntime.Create(backend);

    [TearDown]
    public async Task TearDown() => await _runtime.DisposeAsync();

    [Test]
    public void ActiveBackend_IsTheOneAskedFor()
    {
        Assert.That(_runtime.ActiveBackend, Is.EqualTo(backend));
        Assert.That(_runtime.Workers, Has.Count.EqualTo(2));
        Assert.That(_runtime.Workers.Select(w => w.Id), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void Current_IsNullOutsideWorkers() => Assert.That(UringWorker.Current, Is.Null);

    [Test]
    public async Task Context_HoldsAfterEveryKindOfAwait()
    {
        UringWorker worker = _runtime.Workers[1];
        UringWorker other = _runtime.Workers[0];
        var observations = new List<string>();

        await worker.RunAsync(async () =>
        {
            Check("start");
            await worker.NopAsync();
            Check("ring nop");
            await Task.Delay(5);
            Check("Task.Delay");
            await Task.Yield();
            Check("Task.Yield");
            await worker.DelayAsync(TimeSpan.FromMilliseconds(2));
            Check("ring delay");

            var tcs = new TaskCompletionSource<int>();
            var setter = new Thread(() =>
            {
                Thread.Sleep(10);
                tcs.SetResult(42);
            });
            setter.Start();
            Assert.That(await tcs.Task, Is.EqualTo(42));
            Check("TaskCompletionSource set by another thread");

            int otherId = await other.RunAsync(() => Task.FromResult(UringWorker.Current!.Id));
            Assert.That(otherId, Is.EqualTo(other.Id));
            Check("call into another worker");

            await other.NopAsync(); // another worker's ring, awaited from this one
            Check("other worker's nop");
        });

        Assert.That(observations, Is.Empty, string.Join("\n", observations));

        void Check(string step)
        {
            if (UringWorker.Current != worker)
            {
                observations.Add($"{step}: UringWorker.Current is {UringWorker.Current?.ToString() ?? "null"}");
            }

            if (SynchronizationContext.Current != worker.SynchronizationContext)
            {
                observations.Add($"{step}: SynchronizationContext.Current is {SynchronizationContext.Current?.ToString() ?? "null"}");
            }

            if (TaskScheduler.Current != worker.TaskScheduler)
            {
                observations.Add($"{step}: TaskScheduler.Current is {TaskScheduler.Current}");
            }

            if (Thread.CurrentThread.Name != $"uring-worker-{worker.Id}")
            {
                observations.Add($"{step}: thread is {Thread.CurrentThread.Name}");
            }
        }
    }

    [Test]
    public async Task RunAsync_OnRuntime_RoundRobinsOverWorkers()
    {
        var ids = new List<int>();
        for (int i = 0; i < 4; i++)
        {
            ids.Add(await _runtime.RunAsync(() => Task.FromResult(UringWorker.Current!.Id)));
        }

        Assert.That(ids.Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task ConfigureAwaitFalse_LeavesTheWorker()
    {
        UringWorker worker = _runtime.Workers[0];
        bool? onWorkerAfter = await worker.RunAsync(async () =>
        {
            await Task.Delay(1).ConfigureAwait(false);
            return UringWorker.Current == worker;
        });
        Assert.That(onWorkerAfter, Is.False);
    }

    [Test]
    public async Task NopAsync_FromForeignThread_ResumesOffTheWorker()
    {
        await _runtime.Workers[0].NopAsync();
        Assert.That(UringWorker.Current, Is.Null);
    }

    [Test]
    public async Task SynchronizationContextSend_RunsOnWorker()
    {
        UringWorker worker = _runtime.Workers[0];
        UringWorker? seen = null;
        worker.SynchronizationContext.Send(_ => seen = UringWorker.Current, null);
        Assert.That(seen, Is.SameAs(worker));
        Assert.That(worker.SynchronizationContext.CreateCopy(), Is.SameAs(worker.SynchronizationContext));

        // Send from the worker itself runs inline.
        bool inline = await worker.RunAsync(() =>
        {
            bool ran = false;
            worker.SynchronizationContext.Send(_ => ran = true, null);
            return Task.FromResult(ran);
        });
        Assert.That(inline, Is.True);
    }

    [Test]
    public async Task TaskFactoryStartNew_InsideWorker_UsesTheWorkerScheduler()
    {
        UringWorker worker = _runtime.Workers[0];
        UringWorker? inner = await await worker.RunAsync(() =>
            Task.FromResult(Task.Factory.StartNew(() => UringWorker.Current, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Current)));
        Assert.That(inner, Is.SameAs(worker));
    }
}
