using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Soak;

/// <summary>
/// The soak's files in a temporary folder: read-only data files holding the pattern (key: file index + 1), and a scratch
/// file cut into regions, each written by one loop only. Every file is opened the ways the mixes use it.
/// </summary>
internal sealed class DataSet : IDisposable
{
    public const int FileCount = 4;
    public const long FileSize = 8L << 20;
    public const int RegionSize = 256 << 10;
    public const int MaxRegions = 4096;

    private int _regions;

    private DataSet(string directory)
    {
        Directory = directory;
        DataPaths = Enumerable.Range(0, FileCount).Select(i => System.IO.Path.Combine(directory, $"data-{i}.bin")).ToArray();
        ScratchPath = System.IO.Path.Combine(directory, "scratch.bin");
        SocketPath = System.IO.Path.Combine(directory, "echo.sock");
    }

    public string Directory { get; }

    public string[] DataPaths { get; }

    public string ScratchPath { get; }

    public string SocketPath { get; }

    /// <summary>Buffered handles for UringRandomAccess.</summary>
    public SafeFileHandle[] DataHandles { get; private set; } = [];

    /// <summary>Buffered UringFiles: registered in each worker's fixed-file table on first use.</summary>
    public UringFile[] Registered { get; private set; } = [];

    /// <summary>UringFiles with a 30 s OperationTimeout on every request (a linked timeout that does not fire).</summary>
    public UringFile[] WithTimeout { get; private set; } = [];

    /// <summary>O_DIRECT UringFiles, or null where the file system refuses O_DIRECT.</summary>
    public UringFile[]? Direct { get; private set; }

    public SafeFileHandle ScratchHandle { get; private set; } = null!;

    public UringFile Scratch { get; private set; } = null!;

    public UringFile? ScratchDirect { get; private set; }

    /// <summary>Why O_DIRECT is not used, or null when it is.</summary>
    public string? DirectUnavailable { get; private set; }

    public static ulong KeyOf(int file) => (ulong)file + 1;

    /// <summary>Makes the folder and the data files (not yet opened).</summary>
    public static DataSet Create()
    {
        string directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"uring-soak-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        System.IO.Directory.CreateDirectory(directory);
        var set = new DataSet(directory);
        byte[] chunk = new byte[1 << 20];
        for (int f = 0; f < FileCount; f++)
        {
            using SafeFileHandle handle = File.OpenHandle(set.DataPaths[f], FileMode.CreateNew, FileAccess.Write);
            for (long offset = 0; offset < FileSize; offset += chunk.Length)
            {
                Pattern.Fill(chunk, KeyOf(f), offset);
                RandomAccess.Write(handle, chunk, offset);
            }
        }

        using (SafeFileHandle scratch = File.OpenHandle(set.ScratchPath, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(scratch, (long)RegionSize * 64);
        }

        return set;
    }

    /// <summary>Opens every file, with the runtime alive (UringFiles register with the ambient runtime's workers).</summary>
    public void Open()
    {
        DataHandles = DataPaths.Select(p => File.OpenHandle(p, FileMode.Open, FileAccess.Read)).ToArray();
        Registered = DataPaths.Select(p => UringFile.Open(p, new UringFileOptions { Access = FileAccess.Read, Mode = FileMode.Open })).ToArray();
        WithTimeout = DataPaths.Select(p => UringFile.Open(p, new UringFileOptions { Access = FileAccess.Read, Mode = FileMode.Open, OperationTimeout = TimeSpan.FromSeconds(30) })).ToArray();
        ScratchHandle = File.OpenHandle(ScratchPath, FileMode.Open, FileAccess.ReadWrite);
        Scratch = UringFile.Open(ScratchPath, new UringFileOptions { Access = FileAccess.ReadWrite, Mode = FileMode.Open });
        try
        {
            Direct = DataPaths.Select(p => UringFile.Open(p, new UringFileOptions { Access = FileAccess.Read, Mode = FileMode.Open, Direct = true })).ToArray();
            ScratchDirect = UringFile.Open(ScratchPath, new UringFileOptions { Access = FileAccess.ReadWrite, Mode = FileMode.Open, Direct = true });
            if (Direct[0].Alignment.OffsetAlignment > 4096 || Direct[0].Alignment.MemoryAlignment > 4096)
            {
                DirectUnavailable = $"O_DIRECT alignment {Direct[0].Alignment} exceeds the pool's 4096";
            }
        }
        catch (NotSupportedException e)
        {
            DirectUnavailable = e.Message;
        }

        if (DirectUnavailable is not null)
        {
            foreach (UringFile file in Direct ?? [])
            {
                file.Dispose();
            }

            ScratchDirect?.Dispose();
            Direct = null;
            ScratchDirect = null;
        }

    }

    /// <summary>A scratch region of its own for a writing loop.</summary>
    public int TakeRegion()
    {
        int region = Interlocked.Increment(ref _regions) - 1;
        if (region >= MaxRegions)
        {
            throw new InvalidOperationException("too many writing loops");
        }

        return region;
    }

    public static long RegionStart(int region) => (long)region * RegionSize;

    public void Dispose()
    {
        foreach (SafeFileHandle handle in DataHandles)
        {
            handle.Dispose();
        }

        foreach (UringFile file in Registered.Concat(WithTimeout).Concat(Direct ?? []))
        {
            file.Dispose();
        }

        Scratch?.Dispose();
        ScratchDirect?.Dispose();
        ScratchHandle?.Dispose();
    }

    /// <summary>Removes the folder and everything in it; safe to call more than once.</summary>
    public void Delete()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The read-back expectation of a read of <paramref name="length"/> bytes at <paramref name="offset"/> of a data file.</summary>
    public static int Expected(long offset, int length) => (int)Math.Clamp(FileSize - offset, 0, length);
}
