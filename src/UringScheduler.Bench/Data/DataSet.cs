using Mono.Unix.Native;
using UringScheduler.Bench.Cli;

namespace UringScheduler.Bench.Data;

/// <summary>A folder of pattern-filled data files, generated once and reused while its manifest is valid.</summary>
internal sealed class DataSet
{
    private const int ChunkSize = 1 << 20;

    private DataSet(DataSetSpec spec, IReadOnlyList<string> paths, bool generated)
    {
        Spec = spec;
        Paths = paths;
        Generated = generated;
    }

    public DataSetSpec Spec { get; }

    /// <summary>Full paths of the data files, in file-index order (the index the pattern is keyed on).</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>True when this run wrote the data; false when a valid folder was reused.</summary>
    public bool Generated { get; }

    /// <summary>
    /// Returns the data set of <paramref name="spec"/>, generating it when the folder has no valid manifest.
    /// <paramref name="progress"/> receives (bytes written, bytes total) while generating.
    /// </summary>
    /// <exception cref="UsageException">Not enough free space, or the folder cannot be written.</exception>
    public static DataSet OpenOrCreate(DataSetSpec spec, Action<long, long>? progress = null)
    {
        List<string> paths = Enumerable.Range(0, spec.FileCount)
            .Select(i => Path.Combine(spec.Directory, DataSetSpec.FileName(i)))
            .ToList();

        Manifest? manifest = Manifest.TryRead(spec.Directory);
        if (manifest is not null && manifest.Matches(spec))
        {
            return new DataSet(spec, paths, generated: false);
        }

        Generate(spec, paths, progress);
        return new DataSet(spec, paths, generated: true);
    }

    private static void Generate(DataSetSpec spec, List<string> paths, Action<long, long>? progress)
    {
        try
        {
            Directory.CreateDirectory(spec.Directory);

            // The manifest goes first: from here on the folder is invalid until a new one is written at the very end.
            File.Delete(Path.Combine(spec.Directory, Manifest.FileName));
            foreach (string stale in Directory.EnumerateFiles(spec.Directory, "data-*.bin"))
            {
                File.Delete(stale);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--data: cannot prepare '{spec.Directory}': {e.Message}", e);
        }

        long available = DiskSpace.Available(spec.Directory);
        long needed = spec.TotalBytes + (64L << 20);
        if (available >= 0 && available < needed)
        {
            throw new UsageException(
                $"--data: not enough free space in '{spec.Directory}': the data set needs {SizeParser.Format(spec.TotalBytes)} ({spec.TotalBytes} bytes), {available} bytes are free");
        }

        byte[] chunk = new byte[Math.Max(ChunkSize - (ChunkSize % spec.BlockSize), spec.BlockSize)];
        long written = 0;
        for (int file = 0; file < spec.FileCount; file++)
        {
            using FileStream stream = new(paths[file], FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            long block = 0;
            while (block < spec.BlocksPerFile)
            {
                int blocksInChunk = (int)Math.Min(chunk.Length / spec.BlockSize, spec.BlocksPerFile - block);
                for (int i = 0; i < blocksInChunk; i++)
                {
                    Pattern.Fill(chunk.AsSpan(i * spec.BlockSize, spec.BlockSize), file, block + i);
                }

                stream.Write(chunk, 0, blocksInChunk * spec.BlockSize);
                block += blocksInChunk;
                written += (long)blocksInChunk * spec.BlockSize;
                progress?.Invoke(written, spec.TotalBytes);
            }

            // fsync each file before the manifest can claim it is there.
            stream.Flush(flushToDisk: true);
        }

        FsyncDirectory(spec.Directory);

        // Write the manifest beside, fsync it, rename it into place, fsync the folder: it appears whole or not at all.
        string manifestPath = Path.Combine(spec.Directory, Manifest.FileName);
        string temporary = manifestPath + ".tmp";
        using (FileStream stream = new(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using StreamWriter writer = new(stream);
            writer.Write(Manifest.For(spec).ToJson());
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, manifestPath, overwrite: true);
        FsyncDirectory(spec.Directory);
    }

    private static void FsyncDirectory(string directory)
    {
        int fd = Syscall.open(directory, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
        if (fd >= 0)
        {
            _ = Syscall.fsync(fd);
            _ = Syscall.close(fd);
        }
    }
}
