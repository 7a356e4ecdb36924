namespace UringScheduler.Tests.Runtime;

/// <summary>
/// Every way of handing work to a worker, used after the runtime was disposed: each ends or throws at once, none waits
/// for a worker that will never run anything again.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class AfterDisposeTests(UringBackend backend)
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    private static async Task<UringWorker> DisposedWorkerAsync(UringBackend backend)
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        UringWorker worker = runtime.Workers[0];
        await runtime.DisposeAsync();
        return worker;
    }

    // Runs the call on another thread, so that a call that never returns fails the test instead of hanging it.
    private static Exception? Outcome(Action call)
    {
        Task task = Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.That(((IAsyncResult)task).AsyncWaitHandle.WaitOne(s_bound), Is.True, "the call did not return");
        return task.Exception?.InnerException;
    }

    [Test]
    public async Task Send_FromAnotherThread_ThrowsObjectDisposed()
    {
        UringWorker worker = await DisposedWorkerAsync(backend);
        bool ran = false;
        Exception? error = Outcome(() => worker.SynchronizationContext.Send(_ => ran = true, null));
        Assert.That(error, Is.TypeOf<ObjectDisposedException>());
        Assert.That(ran, Is.False);
    }

    [Test]
    public async Task Post_FromAnotherThread_Returns_AndRunsNothing()
    {
        UringWorker worker = await DisposedWorkerAsync(backend);
        bool ran = false;
        Exception? error = Outcome(() => worker.SynchronizationContext.Post(_ => ran = true, null));
        Assert.That(error, Is.Null);
        Assert.That(ran, Is.False);
    }

    [Test]
    public async Task WorkerRunAsync_ThrowsObjectDisposed()
    {
        UringWorker worker = await DisposedWorkerAsync(backend);
        Exception? error = Outcome(() => worker.RunAsync(() => Task.CompletedTask).GetAwaiter().GetResult());
        Assert.That(error, Is.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task RuntimeRunAsync_ThrowsObjectDisposed()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        await runtime.DisposeAsync();
        Exception? error = Outcome(() => runtime.RunAsync(() => Task.FromResult(1)).GetAwaiter().GetResult());
        Assert.That(error, Is.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task TaskScheduler_RefusesTheTask_WithObjectDisposed()
    {
        UringWorker worker = await DisposedWorkerAsync(backend);
        Exception? error = Outcome(() => Task.Factory.StartNew(() => { }, CancellationToken.None, TaskCreationOptions.None, worker.TaskScheduler).GetAwaiter().GetResult());
        Assert.That(error, Is.TypeOf<TaskSchedulerException>());
        Assert.That(error!.InnerException, Is.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task Operations_FromAnotherThread_ThrowObjectDisposed()
    {
        UringWorker worker = await DisposedWorkerAsync(backend);
        Exception? error = Outcome(() => worker.NopAsync().AsTask().GetAwaiter().GetResult());
        Assert.That(error, Is.TypeOf<ObjectDisposedException>());
    }
}
