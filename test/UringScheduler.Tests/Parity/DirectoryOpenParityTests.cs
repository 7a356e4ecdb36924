namespace UringScheduler.Tests.Parity;

/// <summary><see cref="UringFile.Open"/> and <see cref="UringFile.OpenAsync"/> refuse a directory at open, as <see cref="File.OpenHandle"/> does.</summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class DirectoryOpenParityTests(UringBackend backend)
{
    private static readonly FileAccess[] s_accesses = [FileAccess.Read, FileAccess.ReadWrite, FileAccess.Write];

    [Test]
    public async Task Directory_IsRefused_WithTheExceptionTypeOfFileOpenHandle([ValueSource(nameof(s_accesses))] FileAccess access)
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        string directory = Directory.CreateTempSubdirectory("uring-dir-").FullName;
        try
        {
            Type? expected = Outcome(() => File.OpenHandle(directory, FileMode.Open, access).Dispose());
            Assert.That(expected, Is.EqualTo(typeof(UnauthorizedAccessException)), "what .NET does here");

            int descriptors = Directory.GetFiles("/proc/self/fd").Length;
            var options = new UringFileOptions { Access = access };
            Assert.That(Outcome(() => UringFile.Open(directory, options).Dispose()), Is.EqualTo(expected), "Open");

            // On a worker with io_uring, OpenAsync opens through the ring (IORING_OP_OPENAT); elsewhere as Open does.
            Type? onWorker = await runtime.Workers[0].RunAsync(async () =>
            {
                try
                {
                    (await UringFile.OpenAsync(directory, options)).Dispose();
                    return null;
                }
                catch (Exception e)
                {
                    return e.GetType();
                }
            });
            Assert.That(onWorker, Is.EqualTo(expected), "OpenAsync on a worker");
            Assert.That(Directory.GetFiles("/proc/self/fd").Length, Is.LessThanOrEqualTo(descriptors), "the directory's descriptor was closed");
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    [Test]
    public async Task RegularFile_StillOpens()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        string path = TestFiles.CreateRandom(4096, out byte[] content);
        try
        {
            byte[] read = await runtime.Workers[0].RunAsync(async () =>
            {
                await using UringFile file = await UringFile.OpenAsync(path);
                byte[] buffer = new byte[4096];
                Assert.That(await file.ReadAsync(buffer, 0), Is.EqualTo(4096));
                return buffer;
            });
            Assert.That(read, Is.EqualTo(content));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Type? Outcome(Action call)
    {
        try
        {
            call();
            return null;
        }
        catch (Exception e)
        {
            return e.GetType();
        }
    }
}
