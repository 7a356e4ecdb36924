using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Soak;

/// <summary>A pipe (blocking, close-on-exec) as two handles: a read on its empty read end stays pending until data, cancellation or timeout.</summary>
internal static unsafe partial class NativePipe
{
    private const int O_CLOEXEC = 0x80000;

    public static (SafeFileHandle Read, SafeFileHandle Write) Create()
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, O_CLOEXEC) != 0)
        {
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);
}
