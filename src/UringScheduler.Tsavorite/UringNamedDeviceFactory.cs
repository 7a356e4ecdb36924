using Microsoft.Extensions.Logging;
using Tsavorite.core;

namespace UringScheduler.Tsavorite;

/// <summary>
/// Makes <see cref="UringDevice"/>s for files under one base directory: what Garnet and Tsavorite ask for the main
/// log, the object log, the append-only file and checkpoints. Paths, listing and deletion follow Tsavorite's
/// <see cref="LocalStorageNamedDeviceFactory"/>, so a directory written with either can be read with the other.
/// </summary>
public sealed class UringNamedDeviceFactory : INamedDeviceFactory
{
    private readonly string _baseName;
    private readonly UringRuntime _runtime;
    private readonly UringDeviceOptions _options;
    private readonly ILogger? _logger;

    /// <summary>Creates a factory for files under <paramref name="baseName"/>.</summary>
    /// <param name="baseName">The base directory (may be empty: paths are then relative to the current directory).</param>
    /// <param name="runtime">The runtime whose workers serve the devices; it must outlive them.</param>
    /// <param name="options">Settings of every device, or null for the defaults.</param>
    /// <param name="logger">Where the devices log.</param>
    public UringNamedDeviceFactory(string baseName, UringRuntime runtime, UringDeviceOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _baseName = baseName ?? string.Empty;
        _runtime = runtime;
        _options = options?.Clone() ?? new UringDeviceOptions();
        _options.Validate();
        _logger = logger;
    }

    /// <summary>Every device made by this factory, for their counters (the factory keeps no other reference to them).</summary>
    internal List<WeakReference<UringDevice>> Devices { get; } = [];

    /// <inheritdoc/>
    public IDevice Get(FileDescriptor fileInfo)
    {
        var device = new UringDevice(PathOf(fileInfo), _runtime, _options, logger: _logger);
        lock (Devices)
        {
            Devices.RemoveAll(static w => !w.TryGetTarget(out _));
            Devices.Add(new WeakReference<UringDevice>(device));
        }

        return device;
    }

    /// <inheritdoc/>
    public void Delete(FileDescriptor fileInfo)
    {
        if (fileInfo.fileName is not null)
        {
            // A checkpoint or commit file is one unbounded segment: NAME.0.
            DeleteWithRetry(() => File.Delete(Path.Combine(_baseName, fileInfo.directoryName ?? string.Empty, fileInfo.fileName + ".0")));
        }
        else
        {
            string directory = Path.Combine(_baseName, fileInfo.directoryName ?? string.Empty);
            DeleteWithRetry(() =>
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            });
        }
    }

    /// <inheritdoc/>
    public IEnumerable<FileDescriptor> ListContents(string path)
    {
        var directory = new DirectoryInfo(Path.Combine(_baseName, path));
        if (!directory.Exists)
        {
            yield break;
        }

        // Newest first, directories before files: recovery takes the first checkpoint it can read.
        foreach (DirectoryInfo folder in directory.GetDirectories().OrderByDescending(static f => f.LastWriteTime))
        {
            yield return new FileDescriptor(folder.Name, string.Empty);
        }

        foreach (FileInfo file in directory.GetFiles().OrderByDescending(static f => f.LastWriteTime))
        {
            yield return new FileDescriptor(string.Empty, file.Name);
        }
    }

    /// <inheritdoc/>
    public uint GetSectorSize(FileDescriptor fileInfo) => SegmentFiles.ProbeDirectory(PathOf(fileInfo), _options.Direct).SectorSize;

    private string PathOf(FileDescriptor fileInfo) =>
        Path.Combine(_baseName, fileInfo.directoryName ?? string.Empty, fileInfo.fileName ?? string.Empty);

    private void DeleteWithRetry(Action delete)
    {
        // Another process (or a device not yet disposed) may hold the file a moment longer: retry briefly, as
        // Tsavorite's local factory does, then give up with a log line.
        long deadline = Environment.TickCount64 + 5_000;
        while (true)
        {
            try
            {
                delete();
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (Environment.TickCount64 > deadline)
                {
                    _logger?.LogWarning(e, "UringNamedDeviceFactory: cannot delete under {BaseName}", _baseName);
                    return;
                }

                Thread.Sleep(10);
            }
        }
    }
}
