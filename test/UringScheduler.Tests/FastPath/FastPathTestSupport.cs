using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Tests.FastPath;

internal static class FastPathTestSupport
{
    public static UringRuntime CreateRuntime(UringBackend backend, int buffers = 8) =>
        new(new UringRuntimeOptions { WorkerCount = 2, Backend = backend, RingEntries = 64, RegisteredBufferCount = buffers, RegisteredBufferSize = 8192 });

    public static string TempFile(int size, out byte[] content)
    {
        string path = Path.Combine(Path.GetTempPath(), $"uring-fast-{Guid.NewGuid():N}");
        content = new byte[size];
        Random.Shared.NextBytes(content);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var server = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        SafeFileHandle read = new(server.ClientSafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        SafeFileHandle write = new(server.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        s_keepAlive.Add(server);
        return (read, write);
    }

    /// <summary>write(2) to a pipe: System.IO.RandomAccess refuses unseekable handles in .NET 10.</summary>
    public static unsafe void PipeWrite(SafeFileHandle pipe, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            Assert.That((long)Native.Interop.Libc.Write((int)pipe.DangerousGetHandle(), p, (nuint)data.Length), Is.EqualTo(data.Length));
        }
    }

    private static readonly List<IDisposable> s_keepAlive = [];
}
