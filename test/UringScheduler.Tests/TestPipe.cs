using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Native;

namespace UringScheduler.Tests;

/// <summary>A pipe (blocking, close-on-exec): reads on its empty read end stay pending in the ring until data or cancellation.</summary>
internal sealed unsafe class TestPipe : IDisposable
{
    public TestPipe(bool nonBlocking = false)
    {
        int* fds = stackalloc int[2];
        int rc = Interop.Libc.Pipe2(fds, Interop.Libc.O_CLOEXEC | (nonBlocking ? Interop.Libc.O_NONBLOCK : 0));
        Assert.That(rc, Is.Zero, () => $"pipe2 failed: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        ReadFd = fds[0];
        WriteFd = fds[1];
    }

    /// <summary>A new pipe as two handles that own its descriptors: (read end, write end).</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Handles(bool nonBlocking = false)
    {
        var pipe = new TestPipe(nonBlocking);
        var handles = (new SafeFileHandle(pipe.ReadFd, ownsHandle: true), new SafeFileHandle(pipe.WriteFd, ownsHandle: true));
        pipe.ReadFd = pipe.WriteFd = -1;
        return handles;
    }

    public int ReadFd { get; private set; }

    public int WriteFd { get; private set; }

    public void Dispose()
    {
        if (ReadFd >= 0)
        {
            Interop.Libc.Close(ReadFd);
            ReadFd = -1;
        }

        if (WriteFd >= 0)
        {
            Interop.Libc.Close(WriteFd);
            WriteFd = -1;
        }
    }
}
