using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace UringScheduler.Tests.FastPath;

/// <summary>UringRandomAccess on a raw O_DIRECT SafeFileHandle: misaligned requests are rejected before submission.</summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class DirectHandleTests(UringBackend backend)
{
    [Test]
    public async Task MisalignedRequests_OnAnODirectHandle_AreRejected_AlignedOnesWork()
    {
        await using UringRuntime runtime = FastPathTestSupport.CreateRuntime(backend);
        string path = FastPathTestSupport.TempFile(64 * 1024, out byte[] content);
        try
        {
            int fd = Syscall.open(path, OpenFlags.O_RDWR | OpenFlags.O_DIRECT | OpenFlags.O_CLOEXEC);
            Assert.That(fd, Is.GreaterThanOrEqualTo(0));
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            UringWorker worker = runtime.Workers[0];
            await worker.RunAsync(async () =>
            {
                using UringBuffer buffer = runtime.Buffers!.Rent();
                long before = worker.OperationsCompleted;

                Assert.Throws<ArgumentException>(() => UringRandomAccess.ReadAsync(handle, buffer.Memory[1..513], 0));
                Assert.Throws<ArgumentException>(() => UringRandomAccess.ReadAsync(handle, buffer.Memory[..100], 0));
                var offset = Assert.Throws<ArgumentException>(() => UringRandomAccess.ReadAsync(handle, buffer.Memory[..512], 7));
                Assert.That(offset!.ParamName, Is.EqualTo("fileOffset"));
                Assert.Throws<ArgumentException>(() => UringRandomAccess.WriteAsync(handle, buffer.Memory[..100], 0));
                Assert.Throws<ArgumentException>(() => UringRandomAccess.ReadAsync(handle, new[] { buffer.Memory[..512], buffer.Memory[512..612] }, 0));
                Assert.That(worker.OperationsCompleted, Is.EqualTo(before), "nothing may reach the kernel");

                Assert.That(await UringRandomAccess.ReadAsync(handle, buffer.Memory[..4096], 4096), Is.EqualTo(4096));
                Assert.That(buffer.GetSpan()[..4096].SequenceEqual(content.AsSpan(4096, 4096)), Is.True);
            });

            // A buffered handle is not checked: any alignment goes.
            using SafeFileHandle buffered = File.OpenHandle(path);
            Assert.That(await UringRandomAccess.ReadAsync(buffered, new byte[100], 7), Is.EqualTo(100));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
