using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UringScheduler;

namespace HostedReadService;

/// <summary>A temporary folder for the data files, removed when the host is disposed.</summary>
public sealed class DataDirectory : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("uring-hosted-");

    public string Path => _directory.FullName;

    public void Dispose() => _directory.Delete(recursive: true);
}

/// <summary>Reads counted per worker. Each slot is written by one worker only, and read racily by the reporter.</summary>
public sealed class ReadStatistics(UringRuntime runtime)
{
    // Sixteen longs (128 bytes) apart, so that workers do not write to the same cache line.
    private const int Stride = 16;
    private readonly long[] _reads = new long[runtime.Workers.Count * Stride];

    public int WorkerCount => _reads.Length / Stride;

    public void Count(int workerId) => _reads[workerId * Stride]++;

    public long Read(int workerId) => Volatile.Read(ref _reads[workerId * Stride]);
}

/// <summary>Logs the read throughput once a second, from the ThreadPool (not from the workers).</summary>
public sealed partial class ThroughputReporter(ReadStatistics statistics, ILogger<ThroughputReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long[] last = new long[statistics.WorkerCount];
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            long total = 0;
            var perWorker = new string[last.Length];
            for (int i = 0; i < last.Length; i++)
            {
                long now = statistics.Read(i);
                perWorker[i] = $"w{i} {now - last[i]:N0}";
                total += now - last[i];
                last[i] = now;
            }

            LogThroughput(logger, total, string.Join(", ", perWorker));
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Reads:N0} reads/s ({PerWorker})")]
    private static partial void LogThroughput(ILogger logger, long reads, string perWorker);
}

/// <summary>Stops the host after a while (the sample's <c>--seconds N</c>).</summary>
public sealed class StopAfter(TimeSpan delay, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
        lifetime.StopApplication();
    }
}
