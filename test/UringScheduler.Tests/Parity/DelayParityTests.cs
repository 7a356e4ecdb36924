namespace UringScheduler.Tests.Parity;

/// <summary><see cref="UringWorker.DelayAsync"/> accepts and refuses what <see cref="Task.Delay(TimeSpan, CancellationToken)"/> does.</summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class DelayParityTests(UringBackend backend)
{
    private static readonly TimeSpan[] s_delays =
    [
        Timeout.InfiniteTimeSpan,
        TimeSpan.FromMilliseconds(-2),
        TimeSpan.FromMilliseconds(-1.5),
        TimeSpan.FromTicks(-1),
        TimeSpan.Zero,
        TimeSpan.FromMilliseconds(uint.MaxValue - 1),
        TimeSpan.FromMilliseconds(uint.MaxValue),
        TimeSpan.MaxValue,
        TimeSpan.MinValue,
    ];

    [Test]
    public async Task InfiniteDelay_WaitsUntilTheTokenFires_AsTaskDelayDoes()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        UringWorker worker = runtime.Workers[0];
        using var cts = new CancellationTokenSource();
        Task reference = Task.Delay(Timeout.InfiniteTimeSpan, cts.Token);
        Task<bool> onWorker = worker.RunAsync(async () =>
        {
            await worker.DelayAsync(Timeout.InfiniteTimeSpan, cts.Token);
            return UringWorker.Current == worker;
        });

        await Task.Delay(100);
        Assert.That(reference.IsCompleted, Is.False);
        Assert.That(onWorker.IsCompleted, Is.False);

        cts.Cancel();
        OperationCanceledException? expected = Assert.CatchAsync<OperationCanceledException>(() => reference);
        OperationCanceledException? actual = Assert.CatchAsync<OperationCanceledException>(() => onWorker);
        Assert.That(actual!.CancellationToken, Is.EqualTo(cts.Token));
        Assert.That(expected!.CancellationToken, Is.EqualTo(cts.Token));
        Assert.That(worker.OperationsInFlight, Is.Zero);
    }

    [Test]
    public async Task InfiniteDelay_WithoutAToken_EndsWhenTheRuntimeIsDisposed()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        Task delay = runtime.Workers[1].DelayAsync(Timeout.InfiniteTimeSpan).AsTask();
        await Task.Delay(50);
        Assert.That(delay.IsCompleted, Is.False);
        await runtime.DisposeAsync();

        // The delay has ended when DisposeAsync returns; AsTask's continuation may still be queued on the ThreadPool.
        Assert.That(async () => await delay.WaitAsync(TimeSpan.FromSeconds(10)), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task Arguments_AreAcceptedAndRefusedAsTaskDelayDoes([ValueSource(nameof(s_delays))] TimeSpan delay)
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        using var cts = new CancellationTokenSource();
        Exception? expected = Outcome(() => Task.Delay(delay, cts.Token));
        Exception? actual = Outcome(() => runtime.Workers[0].DelayAsync(delay, cts.Token).AsTask());
        Assert.That(actual?.GetType(), Is.EqualTo(expected?.GetType()), actual?.ToString());
        if (actual is ArgumentOutOfRangeException range)
        {
            Assert.That(range.ParamName, Is.EqualTo(((ArgumentOutOfRangeException)expected!).ParamName));
        }

        cts.Cancel();
    }

    private static Exception? Outcome(Func<Task> call)
    {
        try
        {
            Task task = call();
            if (task.IsCompleted)
            {
                task.GetAwaiter().GetResult();
            }

            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
