using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using static UringScheduler.Tests.FastPath.FastPathTestSupport;

namespace UringScheduler.Tests.FastPath;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringFileTests(UringBackend backend)
{
    private UringRuntime _runtime = null!;

    [SetUp]
    public void SetUp() => _runtime = CreateRuntime(backend);

    [TearDown]
    public async Task TearDown() => await _runtime.DisposeAsync();

    [Test]
    public async Task DirectIo_RoundTrip_WithPoolBuffers_DataChecked()
    {
        string path = Path.Combine(Path.GetTempPath(), $"uring-direct-{Guid.NewGuid():N}");
        try
        {
            await _runtime.Workers[0].RunAsync(async () =>
            {
                await using UringFile file = await UringFile.OpenAsync(path, new UringFileOptions { Access = FileAccess.ReadWrite, Mode = FileMode.CreateNew, Direct = true });
                Assert.That(file.IsDirect, Is.True);
                Assert.That(file.Alignment.OffsetAlignment, Is.GreaterThan(1));
                TestContext.Out.WriteLine($"O_DIRECT alignment here: {file.Alignment}");

                using UringBuffer source = _runtime.Buffers!.Rent();
                using UringBuffer target = _runtime.Buffers!.Rent();
                Random.Shared.NextBytes(source.GetSpan());
                await file.WriteAsync(source.Memory, 8192);
                await file.FlushAsync(dataOnly: true);
                int n = await file.ReadAsync(target.Memory, 8192);
                Assert.That(n, Is.EqualTo(source.Length));
                Assert.That(target.GetSpan().SequenceEqual(source.GetSpan()), Is.True);
                Assert.That(file.Length, Is.EqualTo(8192 + source.Length));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task DirectIo_Misaligned_IsRejectedBeforeSubmission_NamingTheAlignment()
    {
        string path = TempFile(64 * 1024, out _);
        try
        {
            UringWorker worker = _runtime.Workers[0];
            await worker.RunAsync(async () =>
            {
                using UringFile file = UringFile.Open(path, new UringFileOptions { Direct = true });
                using UringBuffer buffer = _runtime.Buffers!.Rent();
                int align = file.Alignment.OffsetAlignment;
                long before = worker.OperationsCompleted;

                var address = Assert.Throws<ArgumentException>(() => file.ReadAsync(buffer.Memory[1..(align + 1)], 0));
                var length = Assert.Throws<ArgumentException>(() => file.ReadAsync(buffer.Memory[..(align - 1)], 0));
                var offset = Assert.Throws<ArgumentException>(() => file.ReadAsync(buffer.Memory[..align], 3));
                Assert.That(address!.Message, Does.Contain($"{file.Alignment.MemoryAlignment} bytes").And.Contain("address"));
                Assert.That(length!.Message, Does.Contain($"{align} bytes").And.Contain("length"));
                Assert.That(offset!.Message, Does.Contain($"{align} bytes").And.Contain("offset"));
                Assert.That(offset.ParamName, Is.EqualTo("fileOffset"));

                // Nothing reached the kernel.
                Assert.That(worker.OperationsInFlight, Is.Zero);
                Assert.That(worker.OperationsCompleted, Is.EqualTo(before));
                Assert.That(await file.ReadAsync(buffer.Memory[..align], align), Is.EqualTo(align));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task ManyFiles_FromEveryWorker_UseRegisteredSlots()
    {
        var paths = new List<string>();
        var contents = new List<byte[]>();
        for (int i = 0; i < 16; i++)
        {
            paths.Add(TempFile(16 * 1024, out byte[] content));
            contents.Add(content);
        }

        try
        {
            var files = paths.Select(p => UringFile.Open(p)).ToList();
            await Task.WhenAll(_runtime.Workers.Select(w => w.RunAsync(async () =>
            {
                byte[] buffer = new byte[4096];
                for (int round = 0; round < 4; round++)
                {
                    for (int f = 0; f < files.Count; f++)
                    {
                        int offset = 4096 * ((round + f) % 4);
                        Assert.That(await files[f].ReadAsync(buffer, offset), Is.EqualTo(4096));
                        Assert.That(buffer.AsSpan().SequenceEqual(contents[f].AsSpan(offset, 4096)), Is.True);
                    }
                }
            })));

            long fixedOps = _runtime.Workers.Sum(w => w.FixedFileOperations);
            TestContext.Out.WriteLine($"reads by registered slot: {fixedOps} of {2 * 4 * 16}");
            Assert.That(fixedOps, Is.EqualTo(backend == UringBackend.IoUring ? 2 * 4 * 16 : 0));
            files.ForEach(f => f.Dispose());
        }
        finally
        {
            paths.ForEach(File.Delete);
        }
    }

    [Test]
    public async Task ClosingAFile_WithReadsInFlight_TheyCompleteAndTheSlotIsReused()
    {
        (var read, var write) = Pipe();
        UringWorker worker = _runtime.Workers[0];
        await worker.RunAsync(async () =>
        {
            var file = UringFile.FromHandle(read);
            var buffers = Enumerable.Range(0, 4).Select(_ => new byte[1]).ToArray();
            var reads = buffers.Select(b => file.ReadAsync(b, 0).AsTask()).ToList();
            await worker.NopAsync();
            file.Dispose(); // slot and descriptor must survive until the reads end
            Assert.Throws<ObjectDisposedException>(() => file.ReadAsync(new byte[1], 0));

            PipeWrite(write, "abcd"u8);
            int[] counts = await Task.WhenAll(reads);
            Assert.That(counts, Is.All.EqualTo(1));
            Assert.That(buffers.Select(b => (char)b[0]).OrderBy(c => c), Is.EqualTo("abcd".ToCharArray()));
        });

        Assert.That(worker.OperationsInFlight, Is.Zero);
    }

    [Test]
    public async Task DisposingAFile_WithAReadOnItsSlot_ClosesTheDescriptorAtOnce_AndTheReadStillCompletes()
    {
        // A pipe whose read end the UringFile owns: disposing the file closes it, unless a request holds the handle.
        var pipe = new TestPipe(); // its descriptors go to the two handles below, which close them
        int fd = pipe.ReadFd;
        var readHandle = new SafeFileHandle(fd, ownsHandle: true);
        using var writeHandle = new SafeFileHandle(pipe.WriteFd, ownsHandle: true);
        string? target = ReadLink(fd);
        Assert.That(target, Does.StartWith("pipe:"));

        UringWorker worker = _runtime.Workers[0];
        await worker.RunAsync(async () =>
        {
            var file = UringFile.FromHandle(readHandle, ownsHandle: true);
            byte[] buffer = new byte[1];
            Task<int> read = file.ReadAsync(buffer, 0).AsTask();
            await worker.NopAsync();
            file.Dispose();

            // io_uring: the request is on the worker's registered slot, whose table entry holds the kernel's own
            // reference to the pipe, so the request takes none on the handle and the descriptor closes now. The
            // fallback goes by descriptor and holds the handle, which keeps it open until the read ends.
            bool stillOpen = ReadLink(fd) == target;
            Assert.That(stillOpen, Is.EqualTo(backend == UringBackend.Fallback));

            PipeWrite(writeHandle, "z"u8);
            Assert.That(await read, Is.EqualTo(1));
            Assert.That(buffer[0], Is.EqualTo((byte)'z'));
        });

        Assert.That(ReadLink(fd), Is.Not.EqualTo(target), "closed once the read has ended");
        Assert.That(worker.OperationsInFlight, Is.Zero);
    }

    [Test]
    public async Task WriteToAReadOnlyFile_OnItsSlot_FailsNamingThePath()
    {
        string path = Path.GetTempFileName();
        try
        {
            UringWorker worker = _runtime.Workers[0];
            await worker.RunAsync(async () =>
            {
                using UringFile file = UringFile.Open(path);

                // Twice: the first call registers the slot, the second certainly goes through it.
                for (int i = 0; i < 2; i++)
                {
                    // Awaited here, not through Assert.ThrowsAsync: that blocks, and on the worker it would block the
                    // very thread that must reap the completion.
                    Exception? error = null;
                    try
                    {
                        await file.WriteAsync(new byte[16], 0);
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }

                    Assert.That(error, Is.InstanceOf<UnauthorizedAccessException>());
                    Assert.That(error!.Message, Does.Contain(path));
                }
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string? ReadLink(int fd)
    {
        var target = new System.Text.StringBuilder(256);
        return Mono.Unix.Native.Syscall.readlink($"/proc/self/fd/{fd}", target) < 0 ? null : target.ToString();
    }

    [Test]
    public async Task LinkedTimeout_OnAnEmptyPipe_FailsWithTimeoutException()
    {
        (var read, var write) = Pipe();
        UringWorker worker = _runtime.Workers[0];
        await worker.RunAsync(async () =>
        {
            using var file = UringFile.FromHandle(read);
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            // Not Assert.ThrowsAsync: it blocks the calling thread, and this is the worker that must run the timeout.
            TimeoutException? timedOut = null;
            try
            {
                await file.ReadAsync(new byte[8], 0, TimeSpan.FromMilliseconds(50));
            }
            catch (TimeoutException e)
            {
                timedOut = e;
            }

            Assert.That(timedOut, Is.Not.Null);
            Assert.That(stopwatch.ElapsedMilliseconds, Is.InRange(40, 2000));
            Assert.That(UringWorker.Current, Is.SameAs(worker));

            // The timed-out read consumed nothing: the next read gets the data.
            PipeWrite(write, "xyz"u8);
            byte[] buffer = new byte[8];
            Assert.That(await file.ReadAsync(buffer, 0), Is.EqualTo(3));
            Assert.That(buffer[..3], Is.EqualTo("xyz"u8.ToArray()));
        });
        Assert.That(worker.OperationsInFlight, Is.Zero);
    }

    [Test]
    public async Task LinkedTimeout_ThatDoesNotFire_LeavesTheResult()
    {
        string path = TempFile(4096, out byte[] content);
        try
        {
            await _runtime.Workers[1].RunAsync(async () =>
            {
                using UringFile file = UringFile.Open(path, new UringFileOptions { OperationTimeout = TimeSpan.FromSeconds(10) });
                byte[] buffer = new byte[4096];
                for (int i = 0; i < 100; i++)
                {
                    Assert.That(await file.ReadAsync(buffer, 0), Is.EqualTo(4096));
                }

                Assert.That(buffer, Is.EqualTo(content));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task RingDelay_IsRoughlyAccurate()
    {
        UringWorker worker = _runtime.Workers[0];
        double[] elapsed = await worker.RunAsync(async () =>
        {
            var samples = new double[5];
            for (int i = 0; i < samples.Length; i++)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                await worker.DelayAsync(TimeSpan.FromMilliseconds(20));
                samples[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            return samples;
        });

        TestContext.Out.WriteLine($"20 ms ring delays measured: {string.Join(", ", elapsed.Select(e => e.ToString("F2")))} ms");
        Assert.That(elapsed, Is.All.GreaterThanOrEqualTo(19.5));

        // ±5 ms on an idle machine; the median is asserted loosely because CI machines are shared.
        Assert.That(elapsed.Order().ElementAt(2), Is.LessThan(40));
    }

    [Test]
    public void Open_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => UringFile.Open("/nonexistent/uring-file"));
    }
}
