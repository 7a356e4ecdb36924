using Mono.Unix.Native;

namespace UringScheduler.Bench.Data;

/// <summary>Free space where a folder is (or will be created), via statvfs.</summary>
internal static class DiskSpace
{
    /// <summary>Bytes an unprivileged writer may still use on the file system holding <paramref name="path"/>; -1 if unknown.</summary>
    public static long Available(string path)
    {
        // The folder may not exist yet: ask about its nearest existing ancestor, which is on the same file system
        // unless a mount point sits in between, and then this is still the best answer available before creating it.
        string? probe = Path.GetFullPath(path);
        while (probe is not null && !Directory.Exists(probe))
        {
            probe = Path.GetDirectoryName(probe);
        }

        if (probe is null || Syscall.statvfs(probe, out Statvfs stat) != 0)
        {
            return -1;
        }

        return (long)(stat.f_bavail * stat.f_frsize);
    }
}
