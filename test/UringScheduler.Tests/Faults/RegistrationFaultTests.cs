using Microsoft.Extensions.Logging;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Faults;

/// <summary>
/// The kernel refuses a registration with <c>ENOMEM</c> (registered buffers are locked memory; a file table is kernel
/// memory too): the runtime still starts, serves the same I/O without the registered resource, and says why once.
/// </summary>
public class RegistrationFaultTests
{
    private const int Size = 8192;

    [Test]
    public async Task BufferRegistrationRefused_PoolBuffersServeUnregistered_AndTheWarningNamesTheCause()
    {
        var plan = new FaultPlan(FaultKind.None);
        plan.RefusedRegistrations.Add(IORING_REGISTER_BUFFERS);
        var logs = new CollectingLoggerProvider();
        string path = TestFiles.CreateRandom(Size, out byte[] content);
        try
        {
            await using var runtime = new UringRuntime(Options(plan, buffers: 4), logs.CreateFactory());
            UringWorker worker = runtime.Workers[0];
            byte[] read = await worker.RunAsync(async () =>
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                using UringBuffer buffer = runtime.Buffers!.Rent();
                Assert.That(buffer.IsRegistered, Is.True, "a pool buffer, registered in the rings that accepted the pool");
                content.AsSpan(0, 4096).CopyTo(buffer.Memory.Span);
                await UringRandomAccess.WriteAsync(handle, buffer.Memory[..4096], 4096);
                buffer.Memory.Span.Clear();
                int n = await UringRandomAccess.ReadAsync(handle, buffer.Memory[..Size], 0);
                return buffer.Memory.Span[..n].ToArray();
            });

            Assert.That(read, Is.EqualTo([.. content.AsSpan(0, 4096), .. content.AsSpan(0, 4096)]), "the write landed and the read saw it");
            Assert.That(worker.FixedBufferOperations, Is.Zero, "no READ_FIXED/WRITE_FIXED against a ring that has no buffers registered");
            Assert.That(plan.Injected, Is.EqualTo(1));
            AssertWarning(logs, "BufferRegistrationFailed", "buffer pool", "ENOMEM", "RLIMIT_MEMLOCK");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task FileTableRefused_FilesAreServedByDescriptor_AndTheWarningNamesTheCause()
    {
        var plan = new FaultPlan(FaultKind.None);
        plan.RefusedRegistrations.UnionWith([IORING_REGISTER_FILES2, IORING_REGISTER_FILES]);
        var logs = new CollectingLoggerProvider();
        string path = TestFiles.CreateRandom(Size, out byte[] content);
        try
        {
            await using var runtime = new UringRuntime(Options(plan, buffers: 0), logs.CreateFactory());
            UringWorker worker = runtime.Workers[0];
            byte[] read = await ReadThroughUringFile(worker, path);

            Assert.That(read, Is.EqualTo(content));
            Assert.That(worker.FixedFileOperations, Is.Zero, "no IOSQE_FIXED_FILE without a table");
            Assert.That(plan.Injected, Is.GreaterThan(0));
            AssertWarning(logs, "RegistrationFailed", "table of", "ENOMEM", "descriptor");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task FileSlotUpdateRefused_TheFileIsServedByDescriptor()
    {
        var plan = new FaultPlan(FaultKind.None);
        plan.RefusedRegistrations.Add(IORING_REGISTER_FILES_UPDATE);
        string path = TestFiles.CreateRandom(Size, out byte[] content);
        try
        {
            await using var runtime = new UringRuntime(Options(plan, buffers: 0));
            UringWorker worker = runtime.Workers[0];
            byte[] read = await ReadThroughUringFile(worker, path);

            Assert.That(read, Is.EqualTo(content));
            Assert.That(worker.FixedFileOperations, Is.Zero);
            Assert.That(plan.Injected, Is.GreaterThan(0), "the slot update was attempted and refused");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task NothingRefused_TheSameCallsUseTheRegisteredResources()
    {
        // The control: the counters the tests above expect at zero do move when the kernel accepts.
        var plan = new FaultPlan(FaultKind.None);
        string path = TestFiles.CreateRandom(Size, out _);
        try
        {
            var logs = new CollectingLoggerProvider();
            await using var runtime = new UringRuntime(Options(plan, buffers: 4), logs.CreateFactory());
            UringWorker worker = runtime.Workers[0];
            await ReadThroughUringFile(worker, path);
            await worker.RunAsync(async () =>
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
                using UringBuffer buffer = runtime.Buffers!.Rent();
                await UringRandomAccess.ReadAsync(handle, buffer.Memory[..4096], 0);
            });

            Assert.That(worker.FixedFileOperations, Is.GreaterThan(0));
            Assert.That(worker.FixedBufferOperations, Is.GreaterThan(0));
            Assert.That(logs.Entries.Where(e => e.EventId.Name is "RegistrationFailed" or "BufferRegistrationFailed"), Is.Empty);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static UringRuntimeOptions Options(FaultPlan plan, int buffers) => new()
    {
        WorkerCount = 1,
        Backend = UringBackend.IoUring,
        RingEntries = 16,
        RegisteredBufferCount = buffers,
        RegisteredBufferSize = Size,
        RingFaults = _ => plan,
    };

    private static Task<byte[]> ReadThroughUringFile(UringWorker worker, string path) =>
        worker.RunAsync(async () =>
        {
            using UringFile file = UringFile.Open(path);
            byte[] data = new byte[Size];
            int n = await file.ReadAsync(data, 0);
            return data[..n];
        });

    // A refused file table is a RegistrationFailed warning; a refused buffer pool a BufferRegistrationFailed warning
    // whose exception (also UringBufferPool.RegistrationError) carries the details.
    private static void AssertWarning(CollectingLoggerProvider logs, string eventName, params string[] fragments)
    {
        var warnings = logs.Entries.Where(e => e.EventId.Name == eventName).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1), "one warning per worker");
        Assert.That(warnings[0].Level, Is.EqualTo(LogLevel.Warning));
        string text = warnings[0].Message + " " + warnings[0].Exception?.Message;
        foreach (string fragment in fragments)
        {
            Assert.That(text, Does.Contain(fragment));
        }
    }
}
