using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace UringScheduler.Files;

/// <summary>
/// Remembers, per <see cref="SafeFileHandle"/>, whether it was opened with O_DIRECT and the alignment that requires, so
/// <see cref="UringRandomAccess"/> can reject a misaligned request before anything is submitted. The flags are read
/// once per handle (<c>fcntl(F_GETFL)</c>); afterwards a lookup is a lock-free table read, with no system call.
/// </summary>
internal static class DirectIoHandles
{
    private static readonly ConditionalWeakTable<SafeFileHandle, Entry> s_entries = new();
    private static readonly int s_directFlag = NativeConvert.FromOpenFlags(OpenFlags.O_DIRECT);

    /// <summary>The handle's O_DIRECT alignment, or null when it is not an O_DIRECT handle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DirectIoAlignment? AlignmentOf(SafeFileHandle handle) =>
        s_entries.TryGetValue(handle, out Entry? entry) ? entry.Alignment : Add(handle);

    private static DirectIoAlignment? Add(SafeFileHandle handle) => s_entries.GetValue(handle, static h => Read(h)).Alignment;

    private static Entry Read(SafeFileHandle handle)
    {
        int fd = (int)handle.DangerousGetHandle();
        int flags = Syscall.fcntl(fd, FcntlCommand.F_GETFL);
        return new Entry(flags >= 0 && (flags & s_directFlag) != 0 ? DirectIo.Query(fd) : null);
    }

    private sealed record Entry(DirectIoAlignment? Alignment);
}
