using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using UringScheduler.Diagnostics;

namespace UringScheduler.Tests.Diagnostics;

/// <summary>The <c>UringScheduler</c> meter, read with a <see cref="MeterListener"/> as dotnet-counters would.</summary>
[TestFixture]
public sealed class MetricsTests
{
    /// <summary>Collects long and int measurements of the UringScheduler meter, keyed by instrument name.</summary>
    private sealed class Collector : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Collector()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == UringMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        public ConcurrentQueue<(string Name, long Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

        public void Observe() => _listener.RecordObservableInstruments();

        public long Sum(string name, int runtimeId) => Measurements
            .Where(m => m.Name == name && Equals(m.Tags.GetValueOrDefault(UringMetrics.RuntimeTag), runtimeId))
            .Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dictionary = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                dictionary[tag.Key] = tag.Value;
            }

            Measurements.Enqueue((instrument.Name, value, dictionary));
        }
    }

    [Test]
    public void MeterPublishesTheDocumentedInstruments()
    {
        using var runtime = TestRuntime.Create(UringBackend.IoUring);
        var published = new ConcurrentDictionary<string, string?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "UringScheduler")
                {
                    published[instrument.Name] = instrument.Unit;
                }
            },
        };
        listener.Start();

        Assert.That(published, Does.ContainKey("uring.operations.completed").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.operations.in_flight").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.submit.calls").WithValue("{call}"));
        Assert.That(published, Does.ContainKey("uring.submit.batch_size").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.wakeups").WithValue("{wakeup}"));
        Assert.That(published, Does.ContainKey("uring.loop.stalls").WithValue("{stall}"));
        Assert.That(published, Does.ContainKey("uring.loop.turns").WithValue("{turn}"));
        Assert.That(published, Does.ContainKey("uring.socket.connections_accepted").WithValue("{connection}"));
        Assert.That(published, Does.ContainKey("uring.socket.bytes_received").WithValue("By"));
        Assert.That(published, Does.ContainKey("uring.socket.bytes_sent").WithValue("By"));
        Assert.That(published, Does.ContainKey("uring.io.queued").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.io.in_flight").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.io.completed").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.io.waited").WithValue("{operation}"));
        Assert.That(published, Does.ContainKey("uring.io.queue_wait").WithValue("s"));
        Assert.That(published, Does.ContainKey("uring.io.page_cache_probes").WithValue("{operation}"));
    }

    [Test]
    public async Task IoSchedulerCounters_CountByClass()
    {
        string path = TestFiles.CreateRandom(16 * 4096, out _);
        try
        {
            var options = new UringRuntimeOptions { WorkerCount = 1, Backend = UringBackend.IoUring, RingEntries = 64 };
            options.IoScheduler.DeviceCapacity = 1;
            options.IoScheduler.TryPageCacheFirst = false;
            await using var runtime = new UringRuntime(options);
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path);
            UringScheduler.Files.FileProfile.Attribute(handle, UringScheduler.IoScheduling.BlockDevice.CreateSynthetic("metrics", 64));
            await runtime.Workers[0].RunAsync(() => Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
                UringRandomAccess.ReadAsync(handle, new byte[4096], i * 4096L, UringIoClass.Background).AsTask())));

            using var collector = new Collector();
            collector.Observe();
            int id = RuntimeInstruments.GetRuntimeId(runtime);
            var background = collector.Measurements
                .Where(m => Equals(m.Tags.GetValueOrDefault(UringMetrics.RuntimeTag), id) && Equals(m.Tags.GetValueOrDefault(UringMetrics.IoClassTag), "background"))
                .ToDictionary(m => m.Name, m => m.Value);
            Assert.That(background["uring.io.completed"], Is.EqualTo(16));
            Assert.That(background["uring.io.waited"], Is.EqualTo(15), "one unit: the first read went at once, the other 15 waited");
            Assert.That(background["uring.io.queued"], Is.Zero);
            Assert.That(background["uring.io.in_flight"], Is.Zero);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCaseSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
    public async Task SocketCounters_CountConnectionsAndBytes(UringBackend backend)
    {
        using var collector = new Collector();
        await using var runtime = TestRuntime.Create(backend);
        int runtimeId = RuntimeInstruments.GetRuntimeId(runtime);
        await using UringListener listener = UringListener.Bind(runtime, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        (UringSocket server, UringSocket client) = await Sockets.SocketTestSupport.PairAsync(runtime, listener);
        await using var _ = server;
        await using var __ = client;

        await client.Worker.RunAsync(async () => await client.SendAsync(new byte[1000]));
        byte[] received = await server.Worker.RunAsync(() => Sockets.SocketTestSupport.ReceiveExactlyAsync(server, 1000));
        Assert.That(received, Has.Length.EqualTo(1000));

        collector.Observe();
        Assert.That(collector.Sum(UringMetrics.ConnectionsAcceptedName, runtimeId), Is.EqualTo(1));
        Assert.That(collector.Sum(UringMetrics.BytesSentName, runtimeId), Is.EqualTo(1000));
        Assert.That(collector.Sum(UringMetrics.BytesReceivedName, runtimeId), Is.EqualTo(1000));
    }

    [TestCaseSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
    public async Task CountersFollowTheWorkers(UringBackend backend)
    {
        using var collector = new Collector();
        await using var runtime = TestRuntime.Create(backend);
        int runtimeId = RuntimeInstruments.GetRuntimeId(runtime);

        const int PerWorker = 200;
        await Task.WhenAll(runtime.Workers.Select(w => w.RunAsync(async () =>
        {
            for (int i = 0; i < PerWorker; i++)
            {
                await w.NopAsync();
            }
        })));

        collector.Observe();
        long completed = collector.Sum(UringMetrics.OperationsCompletedName, runtimeId);
        Assert.That(completed, Is.GreaterThanOrEqualTo(PerWorker * runtime.Workers.Count));

        // One measurement per worker, tagged with its id.
        int[] workerTags = collector.Measurements
            .Where(m => m.Name == UringMetrics.OperationsCompletedName && Equals(m.Tags[UringMetrics.RuntimeTag], runtimeId))
            .Select(m => (int)m.Tags[UringMetrics.WorkerTag]!)
            .Order()
            .ToArray();
        Assert.That(workerTags, Is.EqualTo(Enumerable.Range(0, runtime.Workers.Count)));

        Assert.That(collector.Sum(UringMetrics.OperationsInFlightName, runtimeId), Is.Zero);
        Assert.That(collector.Sum(UringMetrics.LoopTurnsName, runtimeId), Is.GreaterThan(0));
        if (backend == UringBackend.IoUring)
        {
            Assert.That(collector.Sum(UringMetrics.SubmitCallsName, runtimeId), Is.GreaterThan(0));

            // Every NOP went to the kernel in some batch: the histogram's records add up to at least the operations.
            long batched = collector.Measurements.Where(m => m.Name == UringMetrics.SubmitBatchSizeName).Sum(m => m.Value);
            Assert.That(batched, Is.GreaterThanOrEqualTo(PerWorker * runtime.Workers.Count));
        }
    }

    [Test]
    public async Task InFlightCountsPendingOperations()
    {
        using var collector = new Collector();
        await using var runtime = TestRuntime.Create(UringBackend.IoUring);
        int runtimeId = RuntimeInstruments.GetRuntimeId(runtime);
        UringWorker worker = runtime.Workers[0];
        using var cts = new CancellationTokenSource();

        Task delays = worker.RunAsync(() => Task.WhenAll(Enumerable.Range(0, 5).Select(_ => worker.DelayAsync(TimeSpan.FromMinutes(1), cts.Token).AsTask())));
        await WaitUntil(() => worker.OperationsInFlight == 5);

        collector.Observe();
        Assert.That(collector.Sum(UringMetrics.OperationsInFlightName, runtimeId), Is.EqualTo(5));

        await cts.CancelAsync();
        Assert.That(async () => await delays, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task DisposedRuntimesAreNoLongerObserved()
    {
        using var collector = new Collector();
        var runtime = TestRuntime.Create(UringBackend.IoUring);
        int runtimeId = RuntimeInstruments.GetRuntimeId(runtime);
        await runtime.DisposeAsync();

        collector.Observe();
        Assert.That(collector.Measurements.Where(m => Equals(m.Tags.GetValueOrDefault(UringMetrics.RuntimeTag), runtimeId)), Is.Empty);
    }

    [TestCaseSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
    public async Task BlockingWorkIsReportedAsAStall(UringBackend backend)
    {
        using var collector = new Collector();
        var logs = new CollectingLoggerProvider();
        using ILoggerFactory factory = logs.CreateFactory();
        await using var runtime = new UringRuntime(
            new UringRuntimeOptions { WorkerCount = 1, Backend = backend, RingEntries = 64, StallThreshold = TimeSpan.FromMilliseconds(30) },
            factory);
        int runtimeId = RuntimeInstruments.GetRuntimeId(runtime);

        await runtime.Workers[0].RunAsync(() =>
        {
            Thread.Sleep(120); // blocks the worker: exactly what the detector is for
            return Task.CompletedTask;
        });

        // The stall is counted and logged at the end of the loop turn, which may be just after the task completed.
        await WaitUntil(() => runtime.Workers[0].Stalls > 0);
        collector.Observe();
        Assert.That(collector.Sum(UringMetrics.LoopStallsName, runtimeId), Is.GreaterThanOrEqualTo(1));

        await WaitUntil(() => logs.Entries.Any(e => e.EventId.Id == 5));
        var stall = logs.Entries.First(e => e.EventId.Id == 5);
        Assert.That(stall.EventId.Name, Is.EqualTo("LoopStall"));
        Assert.That(stall.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(stall.Message, Does.Contain("Worker 0 was held for").And.Contain("threshold 30 ms"));
    }

    [Test]
    public async Task ShortWorkIsNoStall()
    {
        await using var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 1, RingEntries = 64, StallThreshold = TimeSpan.FromSeconds(5) });
        await runtime.Workers[0].RunAsync(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await runtime.Workers[0].NopAsync();
            }
        });
        Assert.That(runtime.Workers[0].Stalls, Is.Zero);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("condition not met within 10 s");
            }

            await Task.Delay(5);
        }
    }
}
