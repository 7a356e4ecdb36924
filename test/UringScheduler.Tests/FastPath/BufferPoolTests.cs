using static UringScheduler.Tests.FastPath.FastPathTestSupport;

namespace UringScheduler.Tests.FastPath;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class BufferPoolTests(UringBackend backend)
{
    [Test]
    public async Task RegisteredBuffers_GoOutAsFixedOps_ThroughUringRandomAccess()
    {
        await using UringRuntime runtime = CreateRuntime(backend);
        string path = TempFile(64 * 1024, out byte[] content);
        try
        {
            UringWorker worker = runtime.Workers[0];
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            await worker.RunAsync(async () =>
            {
                using UringBuffer buffer = runtime.Buffers!.Rent();
                Assert.That(buffer.IsRegistered, Is.True);
                Assert.That(buffer.Length, Is.EqualTo(8192));
                Assert.That(await UringRandomAccess.ReadAsync(handle, buffer.Memory, 4096), Is.EqualTo(8192));
                Assert.That(buffer.GetSpan().SequenceEqual(content.AsSpan(4096, 8192)), Is.True);

                buffer.GetSpan().Fill(0x5A);
                await UringRandomAccess.WriteAsync(handle, buffer.Memory[..100], 10);
            });

            Assert.That(File.ReadAllBytes(path).AsSpan(10, 100).ToArray(), Is.All.EqualTo(0x5A));
            long fixedOps = worker.FixedBufferOperations;
            Assert.That(fixedOps, Is.EqualTo(backend == UringBackend.IoUring ? 2 : 0));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Exhaustion_FallsBackToPlainAlignedBuffers_AndCountsIt()
    {
        await using UringRuntime runtime = CreateRuntime(backend, buffers: 2);
        UringBufferPool pool = runtime.Buffers!;
        UringBuffer a = pool.Rent(), b = pool.Rent(), c = pool.Rent();
        Assert.That(a.IsRegistered && b.IsRegistered, Is.True);
        Assert.That(c.IsRegistered, Is.False);
        Assert.That(c.Index, Is.EqualTo(-1));
        Assert.That(pool.Available, Is.Zero);
        Assert.That(pool.OverflowRentals, Is.EqualTo(1));
        unsafe
        {
            fixed (byte* p = c.GetSpan())
            {
                Assert.That((long)p % 4096, Is.Zero);
            }
        }

        string path = TempFile(8192, out byte[] content);
        try
        {
            using var handle = File.OpenHandle(path);
            Assert.That(await UringRandomAccess.ReadAsync(handle, c.Memory, 0), Is.EqualTo(8192));
            Assert.That(c.GetSpan().SequenceEqual(content), Is.True);
        }
        finally
        {
            File.Delete(path);
        }

        a.Dispose();
        a.Dispose(); // twice is harmless
        Assert.That(pool.Available, Is.EqualTo(1));
        b.Dispose();
        c.Dispose();
        Assert.That(pool.Available, Is.EqualTo(2));
    }

    [Test]
    public async Task DisposingALease_WithAReadInFlight_ReturnsItOnlyAfterTheCompletion()
    {
        await using UringRuntime runtime = CreateRuntime(backend, buffers: 1);
        (var read, var write) = Pipe();
        UringWorker worker = runtime.Workers[0];
        await worker.RunAsync(async () =>
        {
            UringBuffer lease = runtime.Buffers!.Rent();
            ValueTask<int> pending = UringRandomAccess.ReadAsync(read, lease.Memory, 0);
            lease.Dispose();
            Assert.That(runtime.Buffers.Available, Is.Zero, "returned while the kernel still owns it");
            PipeWrite(write, "q"u8);
            Assert.That(await pending, Is.EqualTo(1));
            Assert.That(runtime.Buffers.Available, Is.EqualTo(1));
        });
    }
}
