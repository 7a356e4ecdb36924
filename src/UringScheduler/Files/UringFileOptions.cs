namespace UringScheduler;

/// <summary>How <see cref="UringFile.Open"/> opens a file.</summary>
public sealed class UringFileOptions
{
    /// <summary>Read, write or both. Default <see cref="FileAccess.Read"/>.</summary>
    public FileAccess Access { get; set; } = FileAccess.Read;

    /// <summary>What to do when the file does or does not exist. Default <see cref="FileMode.Open"/>; <see cref="FileMode.Append"/> is not supported (all I/O is positional).</summary>
    public FileMode Mode { get; set; } = FileMode.Open;

    /// <summary>Open with <c>O_DIRECT</c>: I/O bypasses the page cache and must be aligned (see <see cref="UringFile.Alignment"/>).</summary>
    public bool Direct { get; set; }

    /// <summary>Open with <c>O_NOATIME</c> where permitted (the caller owns the file or has CAP_FOWNER); silently dropped otherwise.</summary>
    public bool NoAccessTime { get; set; }

    /// <summary>Permissions of a file the open creates. Default 0644.</summary>
    public UnixFileMode CreateMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// A timeout applied to every read and write on the file that does not pass its own (a linked
    /// <c>IORING_OP_LINK_TIMEOUT</c>): on expiry the operation is cancelled in the kernel and fails with
    /// <see cref="TimeoutException"/>. Default null: none.
    /// </summary>
    public TimeSpan? OperationTimeout { get; set; }

    /// <summary>The I/O class of the file's reads, writes and flushes (see <see cref="UringFile.IoClass"/>). Default <see cref="UringIoClass.Foreground"/>.</summary>
    public UringIoClass IoClass { get; set; } = UringIoClass.Foreground;

    internal UringFileOptions Clone() => (UringFileOptions)MemberwiseClone();
}
