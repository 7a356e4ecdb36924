// PerCoreReadLoop: every worker of a UringRuntime loops over random 4 KiB reads of its own files with
// UringRandomAccess.ReadAsync, and the main thread prints the throughput every second.
//
//   dotnet run -c Release --project samples/PerCoreReadLoop -- [--seconds N] [--workers N] [--concurrency N] [--file-size MiB]
//
// Ctrl-C (or SIGTERM) stops it early; either way it deletes its data set before it exits.
// Each worker owns its files and its counters: nothing is shared between workers, so the loops need no locks.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using UringScheduler;

const int BlockSize = 4096;
const int FilesPerWorker = 2;

int seconds = IntOption(args, "--seconds", 5);
int workers = IntOption(args, "--workers", Environment.ProcessorCount);
int concurrency = IntOption(args, "--concurrency", 16);
long fileSize = IntOption(args, "--file-size", 8) * 1024L * 1024;

using ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));

// Ctrl-C and SIGTERM end the run through this token instead of killing the process, so that the data set is deleted.
using var stop = new CancellationTokenSource();
Action<PosixSignalContext> onSignal = context =>
{
    context.Cancel = true;
    stop.Cancel();
};
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);

DirectoryInfo data = Directory.CreateTempSubdirectory("uring-percore-");
try
{
    Console.WriteLine($"Writing {workers * FilesPerWorker} file(s) of {fileSize >> 20} MiB to {data.FullName}");
    string[][] paths = CreateDataSet(data.FullName, workers, fileSize);

    var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = workers }, loggerFactory);
    var counters = new WorkerCounters[runtime.Workers.Count];

    // One loop group per worker, started on that worker: its reads go to that worker's ring and resume on it.
    Task[] loops = runtime.Workers
        .Select(w => w.RunAsync(() => ReadLoopsAsync(w, paths[w.Id], concurrency, counters, stop.Token)))
        .ToArray();

    var clock = Stopwatch.StartNew();
    long[] last = new long[counters.Length];
    for (int second = 1; second <= seconds && !stop.IsCancellationRequested; second++)
    {
        TimeSpan next = TimeSpan.FromSeconds(second) - clock.Elapsed;
        if (next > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(next, stop.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("Stopping");
                break;
            }
        }

        long total = 0;
        var perWorker = new string[counters.Length];
        for (int i = 0; i < counters.Length; i++)
        {
            long now = Volatile.Read(ref counters[i].Reads);
            perWorker[i] = $"w{i} {now - last[i],9:N0}";
            total += now - last[i];
            last[i] = now;
        }

        Console.WriteLine($"[{second,3} s] {total,10:N0} reads/s  ({string.Join(", ", perWorker)})");
    }

    stop.Cancel();
    await Task.WhenAll(loops);
    await runtime.DisposeAsync();

    long reads = counters.Sum(c => c.Reads);
    long errors = counters.Sum(c => c.Errors);
    double elapsed = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Done: {reads:N0} reads of {BlockSize} bytes in {elapsed:F1} s ({reads / elapsed:N0} reads/s) on the {runtime.ActiveBackend} backend, {errors} pattern error(s)"));
    return errors == 0 ? 0 : 1;
}
finally
{
    data.Delete(recursive: true);
    Console.WriteLine($"Deleted {data.FullName}");
}

// Runs on worker `worker`: `concurrency` loops, each with its own buffer and random generator. Plain fields are enough
// for the counters because only this worker writes them; the main thread reads them racily for the report.
static async Task ReadLoopsAsync(UringWorker worker, string[] paths, int concurrency, WorkerCounters[] counters, CancellationToken stop)
{
    SafeFileHandle[] files = paths.Select(p => File.OpenHandle(p, FileMode.Open, FileAccess.Read, FileShare.Read)).ToArray();
    try
    {
        long blocks = RandomAccess.GetLength(files[0]) / BlockSize;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async loop =>
        {
            var random = new Random(HashCode.Combine(worker.Id, loop));
            byte[] buffer = new byte[BlockSize];
            while (!stop.IsCancellationRequested)
            {
                int file = random.Next(files.Length);
                long block = random.NextInt64(blocks);
                int read = await UringRandomAccess.ReadAsync(files[file], buffer, block * BlockSize);

                // Still on our worker here: the completion resumed this code inline on the worker's thread.
                counters[worker.Id].Reads++;
                if (read != BlockSize || BinaryPrimitives.ReadInt64LittleEndian(buffer) != Pattern(file, block))
                {
                    counters[worker.Id].Errors++;
                }
            }
        }));
    }
    finally
    {
        foreach (SafeFileHandle file in files)
        {
            file.Dispose();
        }
    }
}

// Files are written with plain .NET I/O before the runtime starts; each 4 KiB block starts with a checkable number.
static string[][] CreateDataSet(string directory, int workers, long fileSize)
{
    var paths = new string[workers][];
    byte[] block = new byte[BlockSize];
    for (int w = 0; w < workers; w++)
    {
        paths[w] = new string[FilesPerWorker];
        for (int f = 0; f < FilesPerWorker; f++)
        {
            string path = Path.Combine(directory, $"worker{w}-file{f}.dat");
            using FileStream stream = File.Create(path, 1 << 20);
            for (long b = 0; b < fileSize / BlockSize; b++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(block, Pattern(f, b));
                stream.Write(block);
            }

            paths[w][f] = path;
        }
    }

    return paths;
}

static long Pattern(int file, long block) => (file * 1_000_003L) ^ (block * 7919);

static int IntOption(string[] args, string name, int defaultValue)
{
    int i = Array.IndexOf(args, name);
    if (i < 0)
    {
        return defaultValue;
    }

    if (i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int value) || value < 1)
    {
        Console.Error.WriteLine($"{name} takes a positive whole number");
        Environment.Exit(2);
        return defaultValue;
    }

    return value;
}

/// <summary>One worker's counters, padded to a cache line so that workers do not share lines.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 64)]
internal struct WorkerCounters
{
    [System.Runtime.InteropServices.FieldOffset(0)]
    public long Reads;

    [System.Runtime.InteropServices.FieldOffset(8)]
    public long Errors;
}
