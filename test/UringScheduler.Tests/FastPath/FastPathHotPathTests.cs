namespace UringScheduler.Tests.FastPath;

/// <summary>
/// The fast path keeps the hot path's promises: reads through a <see cref="UringFile"/> on its registered slot, into a
/// registered pool buffer (<c>READ_FIXED</c>) or pre-pinned memory, touch no ThreadPool and allocate nothing in steady
/// state. (Registered slots and buffers exist only on the io_uring backend.)
/// </summary>
public class FastPathHotPathTests
{
    private const int Reads = 100_000;
    private const int BlockSize = 4096;
    private const int Windows = 4;

    private UringRuntime _runtime = null!;
    private string _path = null!;
    private UringFile _file = null!;

    [SetUp]
    public async Task SetUp()
    {
        _runtime = FastPathTestSupport.CreateRuntime(UringBackend.IoUring);
        _path = FastPathTestSupport.TempFile(64 * BlockSize, out _);
        _file = await _runtime.Workers[0].RunAsync(() => Task.FromResult(UringFile.Open(_path)));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _file.DisposeAsync();
        await _runtime.DisposeAsync();
        File.Delete(_path);
    }

    private sealed record Measured(long ThreadPoolItems, long[] AllocatedPerWindow, long FixedFileOps, long FixedBufferOps)
    {
        // A one-time cost on the worker (a 4.4 KB allocation was seen once in a full suite, never alone) lands in one
        // window; anything paid per read shows in every window. So the claim is checked on the quietest window.
        public double LeastAllocatedPerRead => AllocatedPerWindow.Min() / (double)(Reads / Windows);

        public override string ToString() =>
            $"ThreadPool items {ThreadPoolItems}, allocated per window of {Reads / Windows} reads [{string.Join(", ", AllocatedPerWindow)}], fixed-file ops {FixedFileOps}, fixed-buffer ops {FixedBufferOps}";
    }

    // Warms up, then reads Reads blocks with one read in flight and measures what moved on the worker meanwhile.
    private Task<Measured> MeasureAsync(Func<Memory<byte>> buffer) => MeasureAsync(buffer, (memory, offset) => _file.ReadAsync(memory, offset));

    private Task<Measured> MeasureAsync(Func<Memory<byte>> buffer, Func<Memory<byte>, long, ValueTask<int>> read)
    {
        UringWorker worker = _runtime.Workers[0];
        return worker.RunAsync(async () =>
        {
            // A long warm-up: the first tens of thousands of reads may pay one-time costs (a 4.4 KB allocation was
            // seen once, in a full suite right after a clean build, within the 100,000 reads that followed a warm-up
            // of 1,000); the claim is about the steady state.
            Memory<byte> memory = buffer();
            for (int i = 0; i < 20_000; i++)
            {
                Assert.That(await read(memory, (i % 64) * (long)BlockSize), Is.EqualTo(BlockSize));
            }

            long fixedFiles = worker.FixedFileOperations, fixedBuffers = worker.FixedBufferOperations;
            long items = ThreadPool.CompletedWorkItemCount;
            long[] allocated = new long[Windows];
            for (int window = 0; window < Windows; window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = window * (Reads / Windows); i < (window + 1) * (Reads / Windows); i++)
                {
                    await read(memory, (i % 64) * (long)BlockSize);
                }

                allocated[window] = GC.GetAllocatedBytesForCurrentThread() - before;
            }

            return new Measured(
                ThreadPool.CompletedWorkItemCount - items,
                allocated,
                worker.FixedFileOperations - fixedFiles,
                worker.FixedBufferOperations - fixedBuffers);
        });
    }

    [Test]
    public async Task RegisteredSlot_IntoPinnedMemory_NoThreadPool_NoAllocation()
    {
        byte[] pinned = GC.AllocateArray<byte>(BlockSize, pinned: true);
        Measured m = await MeasureAsync(() => System.Runtime.InteropServices.MemoryMarshal.CreateFromPinnedArray(pinned, 0, BlockSize));
        TestContext.Out.WriteLine(m);
        Assert.That(m.FixedFileOps, Is.EqualTo(Reads), "every read should name the registered slot");
        Assert.That(m.ThreadPoolItems, Is.LessThan(Reads / 1000), "anything per read would show as one item per read; the test host queues a few of its own");
        Assert.That(m.LeastAllocatedPerRead, Is.LessThan(0.01));
    }

    [Test]
    public async Task RegisteredSlot_IntoRegisteredBuffer_ReadFixed_NoThreadPool_NoAllocation()
    {
        using UringBuffer buffer = _runtime.Buffers!.Rent();
        Measured m = await MeasureAsync(() => buffer.Memory[..BlockSize]);
        TestContext.Out.WriteLine(m);
        Assert.That(m.FixedFileOps, Is.EqualTo(Reads), "every read should name the registered slot");
        Assert.That(m.FixedBufferOps, Is.EqualTo(Reads), "every read should go out as READ_FIXED");
        Assert.That(m.ThreadPoolItems, Is.LessThan(Reads / 1000), "anything per read would show as one item per read; the test host queues a few of its own");
        Assert.That(m.LeastAllocatedPerRead, Is.LessThan(0.01));
    }

    [Test]
    public async Task RandomAccess_IntoRegisteredBuffer_ReadFixed_NoThreadPool_NoAllocation()
    {
        using UringBuffer buffer = _runtime.Buffers!.Rent();
        Measured m = await MeasureAsync(() => buffer.Memory[..BlockSize], (memory, offset) => UringRandomAccess.ReadAsync(_file.Handle, memory, offset));
        TestContext.Out.WriteLine(m);
        Assert.That(m.FixedBufferOps, Is.EqualTo(Reads), "every read should go out as READ_FIXED");
        Assert.That(m.ThreadPoolItems, Is.LessThan(Reads / 1000), "anything per read would show as one item per read; the test host queues a few of its own");
        Assert.That(m.LeastAllocatedPerRead, Is.LessThan(0.01));
    }
}
