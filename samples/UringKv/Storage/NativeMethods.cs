using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace UringKv.Storage;

/// <summary>Directory handles and fsync, which .NET has no API for: they make a new segment's name durable.</summary>
internal static partial class NativeMethods
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on x86_64 and arm64
    private const int CloseOnExec = 0x80000;

    /// <summary>Opens a directory for fsync (through a ring: <c>UringFile.FromHandle(handle).FlushAsync()</c>).</summary>
    public static SafeFileHandle OpenDirectory(string path)
    {
        int fd = Open(path, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"open({path}) failed: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>fsync of a directory with a blocking system call (for start-up, off the hot path).</summary>
    public static void SyncDirectory(string path)
    {
        int fd = Open(path, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"open({path}) failed: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync({path}) failed: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
