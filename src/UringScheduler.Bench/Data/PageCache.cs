using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Bench.Native;

namespace UringScheduler.Bench.Data;

/// <summary>
/// How much of the data set sits in the page cache, and the two ways to change it: warm it (read it through) or drop
/// it. Residency is taken with <c>mincore</c> over a read-only shared mapping of each file, which does not fault pages in.
/// </summary>
internal static unsafe class PageCache
{
    private const int WarmChunk = 1 << 20;

    /// <summary>The share of the data set's pages in the page cache, 0 to 1.</summary>
    /// <exception cref="IOException">A file cannot be opened, mapped or inspected.</exception>
    public static double Residency(DataSet dataSet)
    {
        long pageSize = Environment.SystemPageSize;
        long resident = 0;
        long total = 0;
        byte[] vector = [];
        foreach (string path in dataSet.Paths)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            long length = RandomAccess.GetLength(handle);
            if (length == 0)
            {
                continue;
            }

            long pages = (length + pageSize - 1) / pageSize;
            if (vector.Length < pages)
            {
                vector = new byte[pages];
            }

            nint address = Libc.Mmap(0, (nuint)length, Libc.ProtRead, Libc.MapShared, (int)handle.DangerousGetHandle(), 0);
            if (address == Libc.MapFailed)
            {
                throw new IOException($"mmap('{path}') failed: errno {Marshal.GetLastPInvokeError()}");
            }

            try
            {
                fixed (byte* v = vector)
                {
                    if (Libc.Mincore(address, (nuint)length, v) != 0)
                    {
                        throw new IOException($"mincore('{path}') failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
            }
            finally
            {
                _ = Libc.Munmap(address, (nuint)length);
            }

            for (long i = 0; i < pages; i++)
            {
                resident += vector[i] & 1;
            }

            total += pages;
        }

        return total == 0 ? 1 : resident / (double)total;
    }

    /// <summary>Reads every file through once (after a read-ahead hint), so the page cache holds as much of it as it can.</summary>
    public static void Warm(DataSet dataSet)
    {
        byte[] buffer = new byte[WarmChunk];
        foreach (string path in dataSet.Paths)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
            _ = Libc.PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, Libc.PosixFadvWillNeed);
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                offset += read;
            }
        }
    }

    /// <summary>Drops the data set's pages from the page cache (they are clean: the data is only read), so the next reads go to the device.</summary>
    public static void Drop(DataSet dataSet)
    {
        foreach (string path in dataSet.Paths)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            _ = Libc.PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, Libc.PosixFadvDontNeed);
        }
    }
}
