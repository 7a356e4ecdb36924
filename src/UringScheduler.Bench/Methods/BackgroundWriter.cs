using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Native;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// The background load of a mixed case: 1 MiB <c>O_DIRECT</c> writes, <see cref="Depth"/> in flight, streamed
/// round-robin over a preallocated file beside the data set (same device), in <see cref="UringIoClass.Background"/>.
/// The file is deleted on dispose.
/// </summary>
internal sealed class BackgroundWriter : IDisposable
{
    public const string FileName = "background.bin";

    public const int WriteSize = 1 << 20;

    /// <summary>Writes in flight: enough to keep the device busy between completions, few enough to stay a single stream.</summary>
    public const int Depth = 2;

    private const long MaxFileSize = 1L << 30;
    private const long MinFileSize = 16L << 20;

    private readonly string _path;
    private readonly long _writesPerLap;
    private readonly AlignedBuffers _buffers;
    private UringFile? _file;
    private Task[] _loops = [];
    private long _next;
    private long _measuredBytes;
    private double _measuredSeconds;

    public BackgroundWriter(string directory)
    {
        _path = Path.Combine(directory, FileName);
        long available = DiskSpace.Available(directory);
        long size = available > 0 ? Math.Min(MaxFileSize, available / 4 / WriteSize * WriteSize) : MaxFileSize;
        if (size < MinFileSize)
        {
            throw new UsageException($"mixed: not enough free space in '{directory}' for the background writer's file ({SizeParser.Format(MinFileSize)} at least)");
        }

        _writesPerLap = size / WriteSize;
        Preallocate(_path, size);
        _buffers = new AlignedBuffers(Depth, WriteSize);
        for (int i = 0; i < Depth; i++)
        {
            _buffers.Get(i).Span.Fill((byte)(0xB0 + i));
        }
    }

    /// <summary>MB/s (10^6 bytes) written by writes that completed during the measured phase.</summary>
    public double MegabytesPerSecond => _measuredSeconds > 0 ? Interlocked.Read(ref _measuredBytes) / 1e6 / _measuredSeconds : 0;

    /// <summary>Opens the file on <paramref name="worker"/> (so its slot is that runtime's) and starts the writes there.</summary>
    public void Start(UringWorker worker, MeasurementClock clock)
    {
        UringFileOptions options = new()
        {
            Direct = true,
            Access = FileAccess.ReadWrite,
            IoClass = UringIoClass.Background,
        };
        try
        {
            _file = worker.RunAsync(async () => await UringFile.OpenAsync(_path, options)).GetAwaiter().GetResult();
        }
        catch (NotSupportedException e)
        {
            throw new UsageException($"mixed: the file system holding '{Path.GetDirectoryName(_path)}' refuses O_DIRECT for the background writer; put the data on another file system with --data DIR ({e.Message})", e);
        }

        _loops = new Task[Depth];
        for (int i = 0; i < Depth; i++)
        {
            Memory<byte> buffer = _buffers.Get(i);
            _loops[i] = worker.RunAsync(() => RunAsync(buffer, clock));
        }
    }

    public bool Join(TimeSpan timeout, MeasurementClock clock)
    {
        bool done = Task.WaitAll(_loops, timeout);
        _measuredSeconds = clock.MeasuredSeconds;
        return done;
    }

    public void Dispose()
    {
        _file?.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"uring-bench: warning: could not delete {_path}: {e.Message}");
        }
    }

    private static void Preallocate(string path, long size)
    {
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
            // Allocated up front, so the measured writes overwrite blocks instead of allocating them; file systems
            // without fallocate get a plain (sparse) length.
            if (RandomAccess.GetLength(handle) != size && Libc.PosixFallocate((int)handle.DangerousGetHandle(), 0, size) != 0)
            {
                RandomAccess.SetLength(handle, size);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"mixed: cannot create the background writer's file '{path}': {e.Message}", e);
        }
    }

    private async Task RunAsync(Memory<byte> buffer, MeasurementClock clock)
    {
        UringFile file = _file!;
        while (true)
        {
            long index = Interlocked.Increment(ref _next) - 1;
            await file.WriteAsync(buffer, index % _writesPerLap * WriteSize);
            long now = Stopwatch.GetTimestamp();
            if (now >= clock.MeasureStart && now < clock.MeasureEnd)
            {
                Interlocked.Add(ref _measuredBytes, WriteSize);
            }

            if (clock.IsOver(now))
            {
                return;
            }
        }
    }
}
