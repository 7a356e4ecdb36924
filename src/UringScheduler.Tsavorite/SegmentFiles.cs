using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tsavorite.core;

namespace UringScheduler.Tsavorite;

/// <summary>
/// Opens segment files (<c>open(2)</c> with <c>O_DIRECT</c> where the file system allows it: .NET's
/// <see cref="File.OpenHandle"/> cannot ask for it) and finds a directory's sector size, once per directory.
/// </summary>
internal static partial class SegmentFiles
{
    private const int O_RDWR = 0x2;
    private const int O_CREAT = 0x40;
    private const int O_EXCL = 0x80;
    private const int O_CLOEXEC = 0x80000;
    private const int EINVAL = 22;

    // O_DIRECT is the one flag used here whose value differs between the architectures .NET runs on under Linux.
    private static readonly int s_oDirect = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    private static readonly ConcurrentDictionary<string, Probe> s_probes = new(StringComparer.Ordinal);

    /// <summary>What a directory allows: whether <c>O_DIRECT</c> works there, and the sector size Tsavorite must align to.</summary>
    internal readonly record struct Probe(bool Direct, uint SectorSize, string Source);

    /// <summary>
    /// Opens (creating if needed) <paramref name="path"/> for reading and writing; with <paramref name="direct"/>,
    /// with <c>O_DIRECT</c>, or without it when the file system refuses it (<paramref name="directUsed"/> says which).
    /// </summary>
    public static SafeFileHandle Open(string path, bool direct, out bool directUsed)
    {
        int flags = O_RDWR | O_CREAT | O_CLOEXEC;
        directUsed = direct;
        int fd = OpenCore(path, direct ? flags | s_oDirect : flags);
        if (fd < 0 && direct && Marshal.GetLastPInvokeError() == EINVAL)
        {
            directUsed = false;
            fd = OpenCore(path, flags);
        }

        if (fd < 0)
        {
            throw OpenError(Marshal.GetLastPInvokeError(), path);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// The sector size for files in the directory of <paramref name="filename"/>: for <c>O_DIRECT</c>, the larger of the
    /// memory and offset alignment the kernel reports for a probe file there (<see cref="UringFile.Alignment"/>), at
    /// least <see cref="IDevice.MinDeviceSectorSize"/>; for buffered I/O, that minimum.
    /// </summary>
    public static Probe ProbeDirectory(string filename, bool direct)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(filename)) ?? "/";
        Directory.CreateDirectory(directory);
        if (!direct)
        {
            return new Probe(false, IDevice.MinDeviceSectorSize, "buffered I/O");
        }

        return s_probes.GetOrAdd(directory, static d => ProbeCore(d));
    }

    private static Probe ProbeCore(string directory)
    {
        string probePath = Path.Combine(directory, $".uring-sector-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        int fd = OpenCore(probePath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | s_oDirect);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINVAL)
            {
                return new Probe(false, IDevice.MinDeviceSectorSize, "O_DIRECT refused by the file system: buffered I/O");
            }

            throw OpenError(errno, probePath);
        }

        try
        {
            using UringFile file = UringFile.FromHandle(new SafeFileHandle(fd, ownsHandle: true), ownsHandle: true, direct: true);
            DirectIoAlignment alignment = file.Alignment;
            uint sector = (uint)Math.Max(Math.Max(alignment.MemoryAlignment, alignment.OffsetAlignment), IDevice.MinDeviceSectorSize);
            return new Probe(true, sector, alignment.ToString());
        }
        finally
        {
            File.Delete(probePath);
        }
    }

    private static int OpenCore(string path, int flags)
    {
        int fd;
        do
        {
            fd = NativeOpen(path, flags, 0b110_100_100);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == 4); // EINTR
        return fd;
    }

    private static IOException OpenError(int errno, string path) =>
        new($"Cannot open '{path}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags, uint mode);
}
