using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;
using UringScheduler.IoScheduling;
using UringScheduler.Operations;

namespace UringScheduler.Files;

/// <summary>
/// What the library needs to know about an open file once: whether it was opened with <c>O_DIRECT</c> and the
/// alignment that requires (so a misaligned request is rejected before anything is submitted), and the block device
/// behind it (the I/O scheduler's unit).
/// </summary>
internal sealed class FileProfile(DirectIoAlignment? DirectAlignment, BlockDevice? Device) : INoWaitRefusal
{
    private static readonly ConditionalWeakTable<SafeFileHandle, FileProfile> s_byHandle = new();
    private static readonly int s_directFlag = NativeConvert.FromOpenFlags(OpenFlags.O_DIRECT);

    /// <summary>The handle's O_DIRECT alignment, or null when it is not an O_DIRECT handle.</summary>
    public DirectIoAlignment? DirectAlignment { get; } = DirectAlignment;

    /// <summary>The block device behind the file, or null.</summary>
    public BlockDevice? Device { get; } = Device;

    /// <summary>Whether the file system refused <c>RWF_NOWAIT</c> (<c>EOPNOTSUPP</c>): its reads are not tried on the page cache first.</summary>
    public bool NoWaitUnsupported { get; private set; }

    void INoWaitRefusal.OnNoWaitRefused() => NoWaitUnsupported = true;

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

    /// <summary>
    /// Test seam: attributes <paramref name="handle"/> to <paramref name="device"/>, as if the file were on it (and
    /// opened with O_DIRECT, when <paramref name="directAlignment"/> is given).
    /// </summary>
    internal static FileProfile Attribute(SafeFileHandle handle, BlockDevice device, DirectIoAlignment? directAlignment = null)
    {
        var profile = new FileProfile(directAlignment ?? Read(handle).DirectAlignment, device);
        s_byHandle.AddOrUpdate(handle, profile);
        return profile;
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
