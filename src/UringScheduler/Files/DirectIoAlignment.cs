namespace UringScheduler;

/// <summary>
/// What <c>O_DIRECT</c> requires of a file's I/O: the buffer address must be a multiple of <see cref="MemoryAlignment"/>,
/// and the file offset and the length multiples of <see cref="OffsetAlignment"/>.
/// </summary>
/// <param name="MemoryAlignment">Required alignment of the buffer address, in bytes.</param>
/// <param name="OffsetAlignment">Required alignment of the file offset and of the length, in bytes.</param>
/// <param name="Source">Where the values come from: <c>statx STATX_DIOALIGN</c>, the device's logical block size, or a default.</param>
public readonly record struct DirectIoAlignment(int MemoryAlignment, int OffsetAlignment, string Source)
{
    /// <summary>True when the three values satisfy the alignment.</summary>
    public bool IsAligned(nint address, long offset, long length) =>
        address % MemoryAlignment == 0 && offset % OffsetAlignment == 0 && length % OffsetAlignment == 0;

    /// <inheritdoc/>
    public override string ToString() => $"memory {MemoryAlignment} B, offset/length {OffsetAlignment} B ({Source})";
}
