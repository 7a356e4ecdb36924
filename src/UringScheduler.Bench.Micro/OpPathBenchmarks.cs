using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Bench.Micro;

/// <summary>
/// The op path through the public API on one worker (one ring): submit, drain the completion, resume the awaiting
/// code. Each invocation runs <see cref="OperationsPerInvoke"/> operations inside <see cref="UringWorker.RunAsync(Func{Task})"/>
/// and blocks on it, so the figures are per operation: time and bytes allocated (by every thread, the worker's
/// included). <see cref="Concurrency"/> loops share the operations: with 1, every operation waits alone (one
/// <c>io_uring_enter</c> per op); with 32 the worker batches submissions and completions.
/// </summary>
[MemoryDiagnoser]
public class OpPathBenchmarks : IDisposable
{
    public const int OperationsPerInvoke = 10_000;
    private const int BlockSize = 4096;
    private const long FileSize = 16L << 20;

    private UringRuntime? _runtime;
    private UringWorker? _worker;
    private string? _path;
    private SafeFileHandle? _handle;
    private UringFile? _file;
    private UringBuffer? _registeredBuffer;
    private byte[] _array = [];
    private byte[] _heapArray = [];
    private Func<Task>? _nopLoops;
    private Func<Task>? _randomAccessLoops;
    private Func<Task>? _randomAccessHeapLoops;
    private Func<Task>? _randomAccessPrePinnedLoops;
    private Func<Task>? _uringFileLoops;
    private Func<Task>? _uringFilePrePinnedLoops;

    /// <summary>Loops awaiting operations concurrently on the worker.</summary>
    [Params(1, 32)]
    public int Concurrency { get; set; }

    /// <summary>The device-aware I/O scheduler: on (device capacity, reads tried on the page cache first), on without the page-cache probes, or off.</summary>
    [Params("on", "no-probe", "off")]
    public string IoScheduler { get; set; } = "on";

    [GlobalSetup]
    public void Setup()
    {
        var options = new UringRuntimeOptions
        {
            WorkerCount = 1,
            RegisteredBufferCount = 32,
            RegisteredBufferSize = BlockSize,
        };
        options.IoScheduler.Enabled = IoScheduler != "off";
        options.IoScheduler.TryPageCacheFirst = IoScheduler == "on";
        _runtime = new UringRuntime(options);
        _worker = _runtime.Workers[0];

        // A 16 MiB file, written and read once so that every read of the benchmark hits the page cache.
        _path = Path.Combine(Path.GetTempPath(), $"uring-micro-{Environment.ProcessId}.bin");
        byte[] chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        using (FileStream stream = File.Create(_path))
        {
            for (long written = 0; written < FileSize; written += chunk.Length)
            {
                stream.Write(chunk);
            }
        }

        _handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);
        for (long offset = 0; offset < FileSize; offset += chunk.Length)
        {
            RandomAccess.Read(_handle, chunk, offset);
        }

        _file = UringFile.FromHandle(_handle, ownsHandle: false, runtime: _runtime);
        _registeredBuffer = _runtime.Buffers!.Rent();
        _array = GC.AllocateArray<byte>(BlockSize * 32, pinned: true);
        _heapArray = new byte[BlockSize * 32];
        _nopLoops = () => RunLoopsAsync(NopLoopAsync);
        _randomAccessLoops = () => RunLoopsAsync((i, n) => RandomAccessLoopAsync(_array.AsMemory(i * BlockSize, BlockSize), i, n));
        _randomAccessHeapLoops = () => RunLoopsAsync((i, n) => RandomAccessLoopAsync(_heapArray.AsMemory(i * BlockSize, BlockSize), i, n));
        _randomAccessPrePinnedLoops = () => RunLoopsAsync((i, n) => RandomAccessLoopAsync(PrePinned(i), i, n));
        _uringFileLoops = () => RunLoopsAsync((i, n) => UringFileLoopAsync(_registeredBuffer!.Memory, i, n));
        _uringFilePrePinnedLoops = () => RunLoopsAsync((i, n) => UringFileLoopAsync(PrePinned(i), i, n));
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary><c>await worker.NopAsync()</c>: the scheduler's own cost per operation.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void Nop() => _worker!.RunAsync(_nopLoops!).GetAwaiter().GetResult();

    /// <summary>4 KiB page-cached random reads with <see cref="UringRandomAccess.ReadAsync(SafeFileHandle, Memory{byte}, long, CancellationToken)"/> into a pinned-heap array.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void RandomAccessRead() => _worker!.RunAsync(_randomAccessLoops!).GetAwaiter().GetResult();

    /// <summary>As <see cref="RandomAccessRead"/>, into an ordinary heap array: <c>Memory.Pin</c> takes a pinned GC handle per read.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void RandomAccessReadHeapArray() => _worker!.RunAsync(_randomAccessHeapLoops!).GetAwaiter().GetResult();

    /// <summary>
    /// As <see cref="RandomAccessRead"/>, with the pinned-heap array wrapped by <see cref="System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray{T}"/>:
    /// such a <see cref="Memory{T}"/> is known to be pinned, so <c>Pin</c> takes no GC handle.
    /// </summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void RandomAccessReadPrePinned() => _worker!.RunAsync(_randomAccessPrePinnedLoops!).GetAwaiter().GetResult();

    /// <summary>4 KiB page-cached random reads with <see cref="UringFile.ReadAsync(Memory{byte}, long, CancellationToken)"/> (registered file slot) into a registered <see cref="UringBuffer"/> (READ_FIXED).</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void UringFileRead() => _worker!.RunAsync(_uringFileLoops!).GetAwaiter().GetResult();

    /// <summary>As <see cref="UringFileRead"/>, into pre-pinned pinned-heap memory instead of a registered buffer (plain READ on the registered file).</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void UringFileReadPrePinned() => _worker!.RunAsync(_uringFilePrePinnedLoops!).GetAwaiter().GetResult();

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        _registeredBuffer?.Dispose();
        _registeredBuffer = null;
        _runtime?.Dispose();
        _runtime = null;
        _handle?.Dispose();
        _handle = null;
        if (_path is not null)
        {
            File.Delete(_path);
            _path = null;
        }

        GC.SuppressFinalize(this);
    }

    private static long NextOffset(ref uint state)
    {
        // xorshift32: no allocation, no shared state between loops.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return (long)(state % (uint)(FileSize / BlockSize)) * BlockSize;
    }

    private async Task RunLoopsAsync(Func<int, int, Task> loop)
    {
        int concurrency = Concurrency;
        var loops = new Task[concurrency];
        for (int i = 0; i < concurrency; i++)
        {
            int count = (OperationsPerInvoke / concurrency) + (i < OperationsPerInvoke % concurrency ? 1 : 0);
            loops[i] = loop(i, count);
        }

        await Task.WhenAll(loops);
    }

    private async Task NopLoopAsync(int index, int count)
    {
        UringWorker worker = _worker!;
        for (int i = 0; i < count; i++)
        {
            await worker.NopAsync();
        }
    }

    private Memory<byte> PrePinned(int index) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(_array, index * BlockSize, BlockSize);

    private async Task RandomAccessLoopAsync(Memory<byte> buffer, int index, int count)
    {
        SafeFileHandle handle = _handle!;
        uint state = (uint)(index + 1) * 2654435761u;
        for (int i = 0; i < count; i++)
        {
            await UringRandomAccess.ReadAsync(handle, buffer, NextOffset(ref state));
        }
    }

    private async Task UringFileLoopAsync(Memory<byte> buffer, int index, int count)
    {
        UringFile file = _file!;
        uint state = (uint)(index + 1) * 2654435761u;
        for (int i = 0; i < count; i++)
        {
            await file.ReadAsync(buffer, NextOffset(ref state));
        }
    }
}
