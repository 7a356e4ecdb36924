using System.Runtime.InteropServices;

namespace UringScheduler.Bench.Native;

/// <summary>The few libc calls the bench makes that neither .NET nor Mono.Posix offers in a usable form.</summary>
internal static unsafe partial class Libc
{
    public const int ProtRead = 0x1;
    public const int MapShared = 0x01;
    public const int PosixFadvWillNeed = 3;
    public const int PosixFadvDontNeed = 4;

    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    public static partial int Mincore(nint address, nuint length, byte* vector);

    /// <summary>Returns the error number itself (0 on success), as posix_fadvise does; errno is not set.</summary>
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    public static partial int PosixFadvise(int fd, long offset, long length, int advice);

    /// <summary>Returns the error number itself (0 on success), as posix_fallocate does.</summary>
    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    public static partial int PosixFallocate(int fd, long offset, long length);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();
}
