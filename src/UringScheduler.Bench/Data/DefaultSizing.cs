namespace UringScheduler.Bench.Data;

/// <summary>
/// The default data set's size, chosen for the machine: about a sixteenth of its memory (so it stays in the page cache
/// beside everything else), at most 1 GiB (so generating it takes seconds), and no more than a quarter of the free
/// disk space. On the project's 24 GiB machines this gives the seed-like 8 × 128 MiB.
/// </summary>
internal static class DefaultSizing
{
    public const long MinFileSize = 16L << 20;

    public const long MaxFileSize = 128L << 20;

    /// <summary>Per-file size for <see cref="DataSetSpec.DefaultFileCount"/> files on this machine, in the temp folder.</summary>
    public static long FileSize()
    {
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long freeDisk = DiskSpace.Available(Path.GetTempPath());
        return FileSizeFor(memory, freeDisk);
    }

    /// <summary>The rule itself: a power of two from 16 MiB to 128 MiB. Unknown values (&lt;= 0) do not constrain.</summary>
    public static long FileSizeFor(long memoryBytes, long freeDiskBytes)
    {
        long size = MaxFileSize;
        while (size > MinFileSize
            && ((memoryBytes > 0 && size * DataSetSpec.DefaultFileCount > memoryBytes / 16)
                || (freeDiskBytes > 0 && size * DataSetSpec.DefaultFileCount > freeDiskBytes / 4)))
        {
            size /= 2;
        }

        return size;
    }
}
