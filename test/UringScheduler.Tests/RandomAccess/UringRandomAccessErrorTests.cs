using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.RandomAccessTests;

/// <summary>Kernel errors reach the caller as .NET's own file APIs report them.</summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class UringRandomAccessErrorTests(UringBackend backend)
{
    [Test]
    public async Task ReadFromDirectory_IOExceptionWithErrnoAndStrerror()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        using var scratch = new Scratch();
        string directory = Path.GetDirectoryName(scratch.NewPath())!;
        int fd = Mono.Unix.Native.Syscall.open(directory, Mono.Unix.Native.OpenFlags.O_RDONLY | Mono.Unix.Native.OpenFlags.O_DIRECTORY);
        Assert.That(fd, Is.GreaterThanOrEqualTo(0));
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        string strerror = Mono.Unix.Native.Stdlib.strerror(Mono.Unix.Native.Errno.EISDIR);

        IOException onWorker = await runtime.Workers[0].RunAsync(async () =>
        {
            try
            {
                await UringRandomAccess.ReadAsync(handle, new byte[16], 0);
            }
            catch (IOException e)
            {
                return e;
            }

            throw new AssertionException("no IOException");
        });
        IOException? foreign = Assert.ThrowsAsync<IOException>(async () => await UringRandomAccess.ReadAsync(handle, new Memory<byte>[] { new byte[16] }, 0));

        foreach (IOException e in new[] { onWorker, foreign! })
        {
            Assert.That(e.GetType(), Is.EqualTo(typeof(IOException)));
            Assert.That(e.HResult, Is.EqualTo((int)Mono.Unix.Native.Errno.EISDIR));
            Assert.That(e.Message, Does.Contain(strerror));
        }
    }

    [Test]
    public async Task WriteToReadOnlyDescriptor_UnauthorizedAccessException()
    {
        // EBADF from the kernel (descriptor not open for writing) is mapped as .NET maps it.
        await using UringRuntime runtime = TestRuntime.Create(backend);
        using var scratch = new Scratch();
        SafeFileHandle handle = scratch.OpenFile([1], FileAccess.Read);
        Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await UringRandomAccess.WriteAsync(handle, new byte[] { 2 }, 0));
        Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await runtime.Workers[1].RunAsync(async () => await UringRandomAccess.WriteAsync(handle, new ReadOnlyMemory<byte>[] { new byte[] { 2 } }, 0)));
    }
}
