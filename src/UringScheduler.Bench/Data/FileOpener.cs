using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;
using UringScheduler.Bench.Cli;

namespace UringScheduler.Bench.Data;

/// <summary>Opens data files for reading, buffered or with <c>O_DIRECT</c>.</summary>
internal static class FileOpener
{
    /// <summary>Opens <paramref name="path"/> read-only; with <paramref name="direct"/>, bypassing the page cache.</summary>
    /// <exception cref="UsageException">The file system refuses <c>O_DIRECT</c>.</exception>
    public static SafeFileHandle OpenRead(string path, bool direct)
    {
        if (!direct)
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        }

        // .NET has no O_DIRECT option (FileOptions.NoBuffering is ignored on Linux), so open it ourselves; Mono.Posix
        // translates the flag to this architecture's value (0x4000 on x64, 0x10000 on arm64).
        int fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECT | OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            Errno errno = Stdlib.GetLastError();
            if (errno == Errno.EINVAL)
            {
                throw new UsageException($"--direct: the file system holding '{Path.GetDirectoryName(path)}' refuses O_DIRECT (EINVAL); put the data on another file system with --data DIR");
            }

            throw new IOException($"open('{path}', O_DIRECT) failed: {Stdlib.strerror(errno)}", (int)errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens every file of <paramref name="dataSet"/>; on failure closes the ones already opened.</summary>
    public static SafeFileHandle[] OpenAll(DataSet dataSet, bool direct)
    {
        SafeFileHandle[] handles = new SafeFileHandle[dataSet.Paths.Count];
        try
        {
            for (int i = 0; i < handles.Length; i++)
            {
                handles[i] = OpenRead(dataSet.Paths[i], direct);
            }

            return handles;
        }
        catch
        {
            foreach (SafeFileHandle? handle in handles)
            {
                handle?.Dispose();
            }

            throw;
        }
    }
}
