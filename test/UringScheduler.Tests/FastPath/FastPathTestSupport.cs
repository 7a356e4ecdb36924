using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.FastPath;

internal static class FastPathTestSupport
{
    public static UringRuntime CreateRuntime(UringBackend backend, int buffers = 8) =>
        new(new UringRuntimeOptions { WorkerCount = 2, Backend = backend, RingEntries = 64, RegisteredBufferCount = buffers, RegisteredBufferSize = 8192 });

    public static string TempFile(int size, out byte[] content) => TestFiles.CreateRandom(size, out content);

    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe() => TestPipe.Handles();

    /// <summary>write(2) to a pipe: System.IO.RandomAccess refuses unseekable handles in .NET 10.</summary>
    public static unsafe void PipeWrite(SafeFileHandle pipe, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            Assert.That((long)Native.Interop.Libc.Write((int)pipe.DangerousGetHandle(), p, (nuint)data.Length), Is.EqualTo(data.Length));
        }
    }
}
