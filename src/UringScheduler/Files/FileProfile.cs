using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;
using UringScheduler.IoScheduling;

namespace UringScheduler.Files;

/// <summary>
/// What the library needs to know about an open file once: whether it was opened with <c>O_DIRECT</c> and the
/// alignment that requires (so a misaligned request is rejected before anything is submitted), and the block device
/// behind it (the I/O scheduler's unit).
/// </summary>
internal sealed record FileProfile(DirectIoAlignment? DirectAlignment, BlockDevice? Device)
{
    private static readonly ConditionalWeakTable<SafeFileHandle, FileProfile> s_byHandle = new();
    private static readonly int s_directFlag = NativeConvert.FromOpenFlags(OpenFlags.O_DIRECT);

    /// <summary>
    /// The profile of <paramref name="handle"/>: read once per handle (<c>fcntl(F_GETFL)</c>, <c>fstat</c>, sysfs on a
    /// device's first use); afterwards a lookup is a lock-free table read, with no system call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FileProfile Of(SafeFileHandle handle) =>
        s_byHandle.TryGetValue(handle, out FileProfile? profile) ? profile : Add(handle);

    /// <summary>The block device of the file open as <paramref name="fd"/>, or null (not a regular file or block device, or no device sysfs knows).</summary>
    public static BlockDevice? DeviceOf(int fd)
    {
        if (Syscall.fstat(fd, out Stat stat) != 0)
        {
            return null;
        }

        FilePermissions type = stat.st_mode & FilePermissions.S_IFMT;
        return type switch
        {
            FilePermissions.S_IFREG => BlockDevice.Of(stat.st_dev),
            FilePermissions.S_IFBLK => BlockDevice.Of(stat.st_rdev),
            _ => null,
        };
    }

    private static FileProfile Add(SafeFileHandle handle) => s_byHandle.GetValue(handle, static h => Read(h));

    private static FileProfile Read(SafeFileHandle handle)
    {
        int fd = (int)handle.DangerousGetHandle();
        int flags = Syscall.fcntl(fd, FcntlCommand.F_GETFL);
        DirectIoAlignment? alignment = flags >= 0 && (flags & s_directFlag) != 0 ? DirectIo.Query(fd) : null;
        return new FileProfile(alignment, DeviceOf(fd));
    }
}
