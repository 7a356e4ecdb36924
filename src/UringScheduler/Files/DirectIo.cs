using System.Runtime.InteropServices;
using UringScheduler.Native;

namespace UringScheduler.Files;

/// <summary>Finds a file's O_DIRECT alignment and checks requests against it before anything is submitted.</summary>
internal static unsafe class DirectIo
{
    /// <summary>
    /// The alignment O_DIRECT needs for <paramref name="fd"/>: from <c>statx(STATX_DIOALIGN)</c> (Linux 6.1) where the
    /// file system reports it, else the device's logical block size from sysfs, else 4096.
    /// </summary>
    public static DirectIoAlignment Query(int fd)
    {
        byte* buffer = stackalloc byte[Interop.Libc.StatxSize];
        new Span<byte>(buffer, Interop.Libc.StatxSize).Clear();
        byte empty = 0;
        if (Interop.Libc.Statx(fd, &empty, Interop.Libc.AT_EMPTY_PATH, Interop.Libc.STATX_DIOALIGN, buffer) == 0)
        {
            uint mask = *(uint*)(buffer + Interop.Libc.StatxMaskOffset);
            uint memory = *(uint*)(buffer + Interop.Libc.StatxDioMemAlignOffset);
            uint offset = *(uint*)(buffer + Interop.Libc.StatxDioOffsetAlignOffset);
            if ((mask & Interop.Libc.STATX_DIOALIGN) != 0 && memory != 0 && offset != 0)
            {
                return new DirectIoAlignment((int)memory, (int)offset, "statx STATX_DIOALIGN");
            }

            uint major = *(uint*)(buffer + Interop.Libc.StatxDevMajorOffset);
            uint minor = *(uint*)(buffer + Interop.Libc.StatxDevMinorOffset);
            if (LogicalBlockSize(major, minor) is int block)
            {
                return new DirectIoAlignment(block, block, $"logical block size of device {major}:{minor}");
            }
        }

        return new DirectIoAlignment(4096, 4096, "default (alignment unknown)");
    }

    private static int? LogicalBlockSize(uint major, uint minor)
    {
        string device = $"/sys/dev/block/{major}:{minor}";
        foreach (string candidate in new[] { $"{device}/queue/logical_block_size", $"{device}/../queue/logical_block_size" })
        {
            try
            {
                if (int.TryParse(File.ReadAllText(candidate).Trim(), out int size) && size > 0)
                {
                    return size;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the rule when the request is not aligned.</summary>
    public static void Validate(DirectIoAlignment alignment, ReadOnlyMemory<byte> buffer, long fileOffset)
    {
        nint address;
        if (MemoryMarshal.TryGetMemoryManager(buffer, out UringBuffer? leased, out int start, out _))
        {
            address = (nint)(leased.Pointer + start);
        }
        else
        {
            using System.Buffers.MemoryHandle pin = buffer.Pin();
            address = (nint)pin.Pointer;
        }

        if (address % alignment.MemoryAlignment != 0)
        {
            throw new ArgumentException(
                $"O_DIRECT needs the buffer address aligned to {alignment.MemoryAlignment} bytes ({alignment.Source}); this buffer starts at 0x{address:x}. " +
                "Rent from UringRuntime.Buffers, or allocate with NativeMemory.AlignedAlloc.", "buffer");
        }

        if (buffer.Length % alignment.OffsetAlignment != 0)
        {
            throw new ArgumentException(
                $"O_DIRECT needs the length to be a multiple of {alignment.OffsetAlignment} bytes ({alignment.Source}); got {buffer.Length}.", "buffer");
        }

        if (fileOffset % alignment.OffsetAlignment != 0)
        {
            throw new ArgumentException(
                $"O_DIRECT needs the file offset to be a multiple of {alignment.OffsetAlignment} bytes ({alignment.Source}); got {fileOffset}.", nameof(fileOffset));
        }
    }
}
