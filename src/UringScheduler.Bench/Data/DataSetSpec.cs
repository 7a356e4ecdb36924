namespace UringScheduler.Bench.Data;

/// <summary>What data set a run needs: how many files, how large, in which block size, where.</summary>
internal sealed record DataSetSpec(string Directory, int FileCount, long FileSize, int BlockSize)
{
    /// <summary>
    /// 8 files, of <see cref="DefaultSizing.FileSize"/> each (128 MiB on a 24 GiB machine): large enough that random
    /// blocks miss the CPU caches, small enough to generate in seconds.
    /// </summary>
    public const int DefaultFileCount = 8;

    /// <summary>The seed's block size.</summary>
    public const int DefaultBlockSize = 4096;

    public long BlocksPerFile => FileSize / BlockSize;

    public long TotalBytes => FileSize * FileCount;

    /// <summary>Folder under the temp directory named after the shape, so different shapes never overwrite each other.</summary>
    public static string DefaultDirectory(int fileCount, long fileSize, int blockSize) =>
        Path.Combine(Path.GetTempPath(), $"uring-bench-{fileCount}x{SizeParser.Format(fileSize)}-{blockSize}");

    public static string FileName(int index) => $"data-{index:D3}.bin";
}
