using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.Runtime;

/// <summary>
/// Runtimes created and disposed in a loop, some with reads in flight at disposal, give back what they took: the
/// process's descriptors (rings, eventfds, files), threads and mappings return to their starting level.
/// </summary>
/// <remarks>
/// The suite runs up to <see cref="DefaultRuntimes"/> per backend, stopping at <see cref="TimeBudget"/> once it has run
/// at least <see cref="MinimumRuntimes"/>; <c>URING_CHURN_RUNTIMES=N</c> runs exactly N with no time budget to speak of
/// (see docs/reliability.md). A leak of one descriptor, thread or mapping per runtime exceeds the tolerances.
/// </remarks>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class RuntimeChurnTests(UringBackend backend)
{
    private const int DefaultRuntimes = 1000;
    private const int MinimumRuntimes = 50;
    private const int DescriptorTolerance = 4;
    private const int ThreadTolerance = 8;
    private const int MappingTolerance = 96;

    // A thread the ThreadPool added meanwhile brings its stack, guard page and allocation arenas.
    private const int MappingsPerExtraThread = 16;
    private const long RssToleranceMiB = 64;
    private static readonly TimeSpan TimeBudget = TimeSpan.FromSeconds(10);

    [Test]
    public async Task CreateAndDispose_InALoop_WithReadsInFlight_ReturnsDescriptorsThreadsAndMemory()
    {
        int runtimes = int.TryParse(Environment.GetEnvironmentVariable("URING_CHURN_RUNTIMES"), out int n) && n > 0 ? n : DefaultRuntimes;
        TimeSpan budget = Environment.GetEnvironmentVariable("URING_CHURN_RUNTIMES") is null ? TimeBudget : TimeSpan.FromMinutes(30);
        string path = TestFiles.CreateRandom(1 << 16, out byte[] content);
        try
        {
            // Warm up: JIT, the io_uring probe, lazily created statics and the ThreadPool's own threads.
            for (int i = 0; i < 20; i++)
            {
                await OneRuntimeAsync(i, path, content);
            }

            Snapshot start = Snapshot.Take();
            var stopwatch = Stopwatch.StartNew();
            int done = 0;
            // The budget bounds the suite's time on a busy machine; the floor keeps enough runtimes to show a leak.
            while (done < runtimes && (done < MinimumRuntimes || stopwatch.Elapsed < budget))
            {
                await OneRuntimeAsync(done, path, content);
                done++;
            }

            Snapshot end = Snapshot.Take();
            TestContext.Out.WriteLine($"{backend}: {done} runtimes in {stopwatch.Elapsed.TotalSeconds:F1} s; start {start}; end {end}");
            Assert.That(end.Descriptors - start.Descriptors, Is.LessThanOrEqualTo(DescriptorTolerance), $"descriptors: {start} -> {end}");
            Assert.That(end.Threads - start.Threads, Is.LessThanOrEqualTo(ThreadTolerance), $"threads: {start} -> {end}");
            int allowedMappings = MappingTolerance + (MappingsPerExtraThread * Math.Max(0, end.Threads - start.Threads));
            Assert.That(end.Mappings - start.Mappings, Is.LessThanOrEqualTo(allowedMappings), $"mappings: {start} -> {end}");
            Assert.That(end.RssMiB - start.RssMiB, Is.LessThanOrEqualTo(RssToleranceMiB), $"RSS: {start} -> {end}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task OneRuntimeAsync(int index, string path, byte[] content)
    {
        // Every fourth runtime registers a small buffer pool; every third is disposed with reads in flight.
        var runtime = new UringRuntime(new UringRuntimeOptions
        {
            WorkerCount = 2,
            Backend = backend,
            RingEntries = 64,
            RegisteredBufferCount = index % 4 == 0 ? 4 : 0,
            RegisteredBufferSize = 4096,
        });
        (SafeFileHandle read, SafeFileHandle write) = TestPipe.Handles();
        using SafeFileHandle file = File.OpenHandle(path);
        var inFlight = new List<Task>();
        try
        {
            UringWorker worker = runtime.Workers[index % 2];
            int bytes = await worker.RunAsync(async () =>
            {
                byte[] buffer = new byte[4096];
                int total = await UringRandomAccess.ReadAsync(file, buffer, 4096);
                Assert.That(buffer.AsSpan(0, total).SequenceEqual(content.AsSpan(4096, total)), Is.True);
                if (index % 3 == 0)
                {
                    // A read of an empty pipe stays in the kernel until the disposal cancels it; file reads race it.
                    inFlight.Add(UringRandomAccess.ReadAsync(read, new byte[16], 0).AsTask());
                    for (int i = 0; i < 8; i++)
                    {
                        inFlight.Add(UringRandomAccess.ReadAsync(file, new byte[4096], i * 4096L).AsTask());
                    }
                }

                return total;
            });
            Assert.That(bytes, Is.EqualTo(4096));
        }
        finally
        {
            await runtime.DisposeAsync();

            // Each operation has ended by now; tasks made with AsTask() learn it through a ThreadPool work item.
            Assert.That(SpinWait.SpinUntil(() => inFlight.TrueForAll(t => t.IsCompleted), TimeSpan.FromSeconds(10)), Is.True, "an operation outlived its runtime");
            foreach (Task task in inFlight)
            {
                Assert.That(task.IsCompletedSuccessfully || task.Exception?.InnerException is ObjectDisposedException, Is.True, task.Exception?.ToString());
            }

            read.Dispose();
            write.Dispose();
        }
    }

    private readonly record struct Snapshot(int Descriptors, int Threads, int Mappings, long RssMiB)
    {
        public static Snapshot Take()
        {
            // Handles nobody disposed are closed by their finalizers: count only what is really held.
            for (int i = 0; i < 2; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            string status = File.ReadAllText("/proc/self/status");
            long rssKiB = long.Parse(status.Split('\n').First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return new Snapshot(
                Directory.GetFileSystemEntries("/proc/self/fd").Length,
                Directory.GetDirectories("/proc/self/task").Length,
                File.ReadLines("/proc/self/maps").Count(),
                rssKiB / 1024);
        }

        public override string ToString() => $"{Descriptors} fds, {Threads} threads, {Mappings} mappings, {RssMiB} MiB RSS";
    }
}
