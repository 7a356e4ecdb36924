using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using UringScheduler;

namespace HostedReadService;

/// <summary>Options of the sample's per-core service (section <c>ReadService</c>).</summary>
public sealed class ReadServiceOptions
{
    /// <summary>Size of each worker's data file, in MiB.</summary>
    public int FileSizeMiB { get; set; } = 8;

    /// <summary>Reads each worker keeps in flight.</summary>
    public int Concurrency { get; set; } = 16;
}

/// <summary>
/// One instance per worker: writes its own data file through the ring, then reads random 4 KiB blocks of it until the
/// host stops, checking each block. Its fields are per-core state, touched only by its worker.
/// </summary>
public sealed partial class ReadService(DataDirectory data, ReadStatistics statistics, IOptions<ReadServiceOptions> options, ILogger<ReadService> logger)
    : IPerCoreService, IDisposable
{
    private const int BlockSize = 4096;

    private SafeFileHandle? _file;

    public async Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken)
    {
        string path = Path.Combine(data.Path, $"worker{worker.Id}.dat");
        long blocks = options.Value.FileSizeMiB * 1024L * 1024 / BlockSize;
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        await WriteFileAsync(_file, blocks, stoppingToken);
        LogFileReady(logger, worker.Id, path, blocks * BlockSize >> 20);

        await Task.WhenAll(Enumerable.Range(0, options.Value.Concurrency).Select(i => ReadLoopAsync(worker, _file, blocks, i, stoppingToken)));
    }

    public void Dispose() => _file?.Dispose();

    private async Task ReadLoopAsync(UringWorker worker, SafeFileHandle file, long blocks, int loop, CancellationToken stoppingToken)
    {
        var random = new Random(HashCode.Combine(worker.Id, loop));
        byte[] buffer = new byte[BlockSize];
        while (!stoppingToken.IsCancellationRequested)
        {
            long block = random.NextInt64(blocks);
            int read = await UringRandomAccess.ReadAsync(file, buffer, block * BlockSize, stoppingToken);
            if (read != BlockSize || BinaryPrimitives.ReadInt64LittleEndian(buffer) != block)
            {
                throw new InvalidDataException($"Block {block} of worker {worker.Id}'s file does not hold its pattern");
            }

            statistics.Count(worker.Id);
        }
    }

    private static async Task WriteFileAsync(SafeFileHandle file, long blocks, CancellationToken stoppingToken)
    {
        // 256 KiB per write, each 4 KiB block starting with its own number.
        byte[] chunk = new byte[64 * BlockSize];
        for (long first = 0; first < blocks; first += 64)
        {
            int count = (int)Math.Min(64, blocks - first);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(chunk.AsSpan(i * BlockSize), first + i);
            }

            await UringRandomAccess.WriteAsync(file, chunk.AsMemory(0, count * BlockSize), first * BlockSize, stoppingToken);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Worker {WorkerId} wrote {Path} ({MiB} MiB) and starts reading it")]
    private static partial void LogFileReady(ILogger logger, int workerId, string path, long miB);
}
