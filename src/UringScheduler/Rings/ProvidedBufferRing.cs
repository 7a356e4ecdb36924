using System.Runtime.InteropServices;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

/// <summary>
/// A provided buffer ring (<c>IORING_REGISTER_PBUF_RING</c>): a ring of buffer descriptions shared with the kernel, from
/// which requests that carry <c>IOSQE_BUFFER_SELECT</c> take a buffer when data arrives, instead of naming one when
/// they are submitted. The application is the only producer: it writes entries past the tail and publishes them by
/// storing the new tail with release semantics; the kernel consumes from its own head. Only the ring's owner thread
/// may add buffers.
/// </summary>
internal sealed unsafe class ProvidedBufferRing : IDisposable
{
    private readonly Ring _ring;
    private readonly uint _mask;
    private BufRingEntry* _entries;
    private ushort _tail;

    private ProvidedBufferRing(Ring ring, BufRingEntry* entries, uint count, ushort groupId)
    {
        _ring = ring;
        _entries = entries;
        _mask = count - 1;
        GroupId = groupId;
    }

    /// <summary>The buffer group requests name in <c>buf_group</c>.</summary>
    public ushort GroupId { get; }

    /// <summary>
    /// Registers a ring of <paramref name="count"/> entries (a power of two, at most 32768) as group
    /// <paramref name="groupId"/>; null with <paramref name="errno"/> when the kernel refuses (EINVAL before 5.19).
    /// </summary>
    public static ProvidedBufferRing? TryCreate(Ring ring, uint count, ushort groupId, out int errno)
    {
        if (count == 0 || count > 32768 || (count & (count - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A provided buffer ring holds a power of two of entries, at most 32768.");
        }

        nuint bytes = (nuint)(count * (uint)sizeof(BufRingEntry));
        var entries = (BufRingEntry*)NativeMemory.AlignedAlloc(Math.Max(bytes, (nuint)Environment.SystemPageSize), (nuint)Environment.SystemPageSize);
        NativeMemory.Clear(entries, bytes);
        int rc = ring.RegisterBufferRing(entries, count, groupId);
        if (rc < 0)
        {
            NativeMemory.AlignedFree(entries);
            errno = -rc;
            return null;
        }

        errno = 0;
        return new ProvidedBufferRing(ring, entries, count, groupId);
    }

    /// <summary>Writes buffer <paramref name="bufferId"/> past the tail; the kernel sees it after <see cref="Publish"/>.</summary>
    public void Add(void* address, uint length, ushort bufferId, int offset)
    {
        BufRingEntry* entry = _entries + ((uint)(_tail + offset) & _mask);
        entry->Addr = (ulong)address;
        entry->Len = length;
        entry->Bid = bufferId;
    }

    /// <summary>Makes the <paramref name="count"/> entries added since the last publish visible to the kernel.</summary>
    public void Publish(int count)
    {
        _tail = (ushort)(_tail + count);

        // The entries must be visible before the tail that covers them: a release store, as the kernel reads the tail
        // with an acquire load.
        Volatile.Write(ref *(ushort*)((byte*)_entries + 14), _tail);
    }

    /// <summary>Unregisters the ring (the kernel takes no more buffers from it) and frees its memory.</summary>
    public void Dispose()
    {
        if (_entries == null)
        {
            return;
        }

        if (!_ring.IsDisposed)
        {
            _ = _ring.UnregisterBufferRing(GroupId);
        }

        // Closing the ring unregisters it as well, so after either the kernel no longer reads this memory.
        NativeMemory.AlignedFree(_entries);
        _entries = null;
    }
}
