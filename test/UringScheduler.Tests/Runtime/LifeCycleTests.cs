using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.Runtime;

/// <summary>
/// What disposal does to work that is still running: tasks started with RunAsync end (faulted with
/// <see cref="ObjectDisposedException"/>) whatever they await, operations cut short end with
/// <see cref="ObjectDisposedException"/> whether they were in the kernel or on their way to it, and the shutdown
/// summary counts outcomes.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class LifeCycleTests(UringBackend backend)
{
    [Test]
    public async Task RunAsync_AwaitingTaskDelay_EndsWithObjectDisposed_WhenDisposeCompletes()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        UringWorker worker = runtime.Workers[0];
        var awaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task work = worker.RunAsync(async () =>
        {
            // Long enough to outlast the disposal even on a loaded machine.
            Task delay = Task.Delay(TimeSpan.FromSeconds(30));
            awaiting.SetResult();
            await delay;
        });

        await awaiting.Task;
        await runtime.DisposeAsync();

        Assert.That(work.IsFaulted, Is.True, work.Status.ToString());
        Assert.That(work.Exception!.InnerException, Is.TypeOf<ObjectDisposedException>());
        Assert.That(worker.RunningWorkCount, Is.Zero);
    }

    [Test]
    public async Task RunAsyncOfT_AwaitingATaskCompletionSourceSetAfterDispose_EndsWithObjectDisposed()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        var later = new TaskCompletionSource<int>();
        var awaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool resumed = false;
        Task<int> work = runtime.Workers[0].RunAsync(async () =>
        {
            awaiting.SetResult();
            int value = await later.Task;
            resumed = true;
            return value + 1;
        });

        await awaiting.Task;
        await runtime.DisposeAsync();
        Assert.That(work.IsFaulted, Is.True, work.Status.ToString());
        Assert.That(work.Exception!.InnerException, Is.TypeOf<ObjectDisposedException>());

        // Setting the source later posts to the stopped worker from this thread: it must neither throw nor run the work.
        Assert.DoesNotThrow(() => later.SetResult(41));
        Assert.That(runtime.Workers[0].DroppedPosts, Is.EqualTo(1), "the continuation was posted to the stopped worker and dropped");
        Assert.That(resumed, Is.False);
        Assert.That(work.Exception!.InnerException, Is.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task RunAsync_FinishedBeforeDispose_KeepsItsOutcome()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        UringWorker worker = runtime.Workers[1];
        Task<int> value = worker.RunAsync(async () =>
        {
            await worker.NopAsync();
            return 7;
        });
        Task faulted = worker.RunAsync(() => Task.FromException(new InvalidTimeZoneException()));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Task canceled = worker.RunAsync(() => Task.FromCanceled(cts.Token));
        Assert.That(await value, Is.EqualTo(7));
        Assert.ThrowsAsync<InvalidTimeZoneException>(async () => await faulted);
        Assert.That(async () => await canceled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(worker.RunningWorkCount, Is.Zero);

        await runtime.DisposeAsync();
        Assert.That(value.Result, Is.EqualTo(7));
        Assert.That(faulted.Exception!.InnerException, Is.TypeOf<InvalidTimeZoneException>());
        Assert.That(canceled.IsCanceled, Is.True);
    }

    [Test]
    public async Task RunAsync_ContinuationsOfAnAbandonedTask_DoNotRunOnTheExitingWorker()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        var awaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task work = runtime.Workers[0].RunAsync(async () =>
        {
            awaiting.SetResult();
            await new TaskCompletionSource().Task;
        });
        await awaiting.Task;

        // An awaiter of the abandoned task that disposes the runtime again (and so waits for the disposal) must not
        // run on the worker thread that is finishing that very disposal.
        Task<string?> observer = work.ContinueWith(
            _ =>
            {
                runtime.Dispose();
                return Thread.CurrentThread.Name;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        Task dispose = runtime.DisposeAsync().AsTask();
        Assert.That(dispose.Wait(TimeSpan.FromSeconds(10)), Is.True, "disposal did not finish");
        Assert.That(observer.Wait(TimeSpan.FromSeconds(10)), Is.True, "the observer did not run");
        Assert.That(observer.Result, Does.Not.StartWith("uring-worker"));
    }

    [Test]
    public async Task PostAfterStop_NeverThrows_RunsNothing_AndWarnsOncePerWorker()
    {
        var logs = new CollectingLoggerProvider();
        UringRuntime runtime = TestRuntime.Create(backend, loggerFactory: logs.CreateFactory());
        UringWorker worker = runtime.Workers[0];
        await runtime.DisposeAsync();

        int ran = 0;
        for (int i = 0; i < 3; i++)
        {
            Assert.DoesNotThrow(() => worker.SynchronizationContext.Post(_ => Interlocked.Increment(ref ran), null));
        }

        Assert.That(ran, Is.Zero);
        Assert.That(worker.DroppedPosts, Is.EqualTo(3));
        Assert.That(logs.Entries.Count(e => e.EventId.Name == "PostAfterStop"), Is.EqualTo(1));
        Assert.Throws<ObjectDisposedException>(() => worker.SynchronizationContext.Send(_ => { }, null));
    }

    [Test]
    public async Task Dispose_WithOperationsInFlight_FromTheWorkerAndFromOtherThreads_EndsEveryOneWithObjectDisposed()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        (SafeFileHandle read, SafeFileHandle write) = TestPipe.Handles();
        using (read)
        using (write)
        {
            // Reads of an empty pipe never complete by themselves: each ends through the disposal, in the kernel (issued
            // on a worker) or on its way there (issued from other threads while the disposal runs).
            var outcomes = new ConcurrentBag<Exception?>();
            var observers = new ConcurrentBag<Task>();
            var onWorker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = runtime.Workers[0].RunAsync(() =>
            {
                for (int i = 0; i < 20; i++)
                {
                    observers.Add(Observe(UringRandomAccess.ReadAsync(read, new byte[16], 0).AsTask(), outcomes));
                }

                onWorker.SetResult();
                return Task.CompletedTask;
            });
            await onWorker.Task;

            using var stop = new CancellationTokenSource();
            UringWorker target = runtime.Workers[1];
            Task issuers = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        // Issued from this thread: the request travels to the worker's inbox, and the worker submits it.
                        observers.Add(Observe(target.DelayAsync(TimeSpan.FromHours(1)).AsTask(), outcomes));
                    }
                    catch (ObjectDisposedException)
                    {
                        break; // refused at the call: the runtime is being disposed
                    }

                    await Task.Yield();
                }
            })));

            await Task.Delay(50);
            await runtime.DisposeAsync();
            stop.Cancel();
            await issuers;
            Assert.That(Task.WhenAll(observers).Wait(TimeSpan.FromSeconds(10)), Is.True, "an operation did not end");

            Assert.That(outcomes, Has.Count.GreaterThan(20));
            Assert.That(outcomes.Select(e => e?.GetType()).Distinct(), Is.EquivalentTo(new[] { typeof(ObjectDisposedException) }));
        }
    }

    [Test]
    public async Task ShutdownSummary_CountsOutcomes_NotCancelAttempts()
    {
        var logs = new CollectingLoggerProvider();
        UringRuntime runtime = TestRuntime.Create(backend, loggerFactory: logs.CreateFactory());
        string path = TestFiles.CreateRandom(1 << 16, out _);
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path);

            // Loops of cached reads: at the disposal some reads are in the kernel, some were just queued behind the
            // shutdown's cancels (and complete anyway), and the next read of each loop is refused at the call.
            int completed = 0, ended = 0, refused = 0;
            var loops = new List<Task>();
            foreach (UringWorker worker in runtime.Workers)
            {
                for (int i = 0; i < 16; i++)
                {
                    loops.Add(worker.RunAsync(async () =>
                    {
                        byte[] buffer = new byte[4096];
                        while (true)
                        {
                            ValueTask<int> read;
                            try
                            {
                                read = UringRandomAccess.ReadAsync(handle, buffer, 0);
                            }
                            catch (ObjectDisposedException)
                            {
                                Interlocked.Increment(ref refused);
                                return;
                            }

                            try
                            {
                                await read;
                                Interlocked.Increment(ref completed);
                            }
                            catch (ObjectDisposedException)
                            {
                                Interlocked.Increment(ref ended);
                                return;
                            }
                        }
                    }));
                }
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            await WaitUntil(() => Volatile.Read(ref completed) >= 1000);
            TestContext.Out.WriteLine($"1000 reads after {started.ElapsedMilliseconds} ms");
            await runtime.DisposeAsync();
            await Task.WhenAll(loops);

            long canceledAtShutdown = runtime.Workers.Sum(w => w.CanceledAtShutdown);
            long completedAtShutdown = runtime.Workers.Sum(w => w.CompletedAtShutdown);
            TestContext.Out.WriteLine($"{completed} read(s) completed, {ended} ended by the disposal, {refused} refused; {completedAtShutdown} completed after the shutdown's cancel");
            Assert.That(ended + refused, Is.EqualTo(loops.Count));
            Assert.That(canceledAtShutdown, Is.EqualTo(ended));
            string summary = logs.Entries.Single(e => e.EventId.Name == "RuntimeStopped").Message;
            Assert.That(summary, Does.Contain($"{completedAtShutdown} in flight completed and {ended} were ended by it"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task Observe(Task task, ConcurrentBag<Exception?> outcomes)
    {
        try
        {
            await task.ConfigureAwait(false);
            outcomes.Add(null);
        }
        catch (Exception e)
        {
            outcomes.Add(e);
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not met within 10 s");
            await Task.Delay(5);
        }
    }
}
