using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

// Resource registration. Each returns 0 or -errno; the caller turns an errno into an exception that fits its context.
internal sealed unsafe partial class Ring
{
    /// <summary>Registers a file table of <paramref name="count"/> empty slots (sparse), to be filled with <see cref="UpdateFiles"/>.</summary>
    public int RegisterFilesSparse(uint count)
    {
        RsrcRegister reg = default;
        reg.Nr = count;
        reg.Flags = IORING_RSRC_REGISTER_SPARSE;
        int rc = Register(IORING_REGISTER_FILES2, &reg, (uint)sizeof(RsrcRegister));
        if (rc != -Errno.EINVAL)
        {
            return rc;
        }

        // Before 5.19 there is no sparse flag, but a table of -1 entries means the same.
        int[] empty = new int[count];
        Array.Fill(empty, RegisteredFileEmpty);
        return RegisterFiles(empty);
    }

    /// <summary>Registers <paramref name="fds"/> as the fixed-file table (-1 entries are empty slots).</summary>
    public int RegisterFiles(ReadOnlySpan<int> fds)
    {
        fixed (int* p = fds)
        {
            return Register(IORING_REGISTER_FILES, p, (uint)fds.Length);
        }
    }

    /// <summary>Replaces slots <paramref name="offset"/>.. of the fixed-file table (-1 empties a slot). Returns the slots updated or -errno.</summary>
    public int UpdateFiles(uint offset, ReadOnlySpan<int> fds)
    {
        fixed (int* p = fds)
        {
            FilesUpdate update = default;
            update.Offset = offset;
            update.Fds = (ulong)p;
            return Register(IORING_REGISTER_FILES_UPDATE, &update, (uint)fds.Length);
        }
    }

    public int UnregisterFiles() => Register(IORING_UNREGISTER_FILES, null, 0);

    /// <summary>Registers buffers for READ_FIXED/WRITE_FIXED. The memory is pinned by the kernel (and charged to RLIMIT_MEMLOCK) until unregistered.</summary>
    public int RegisterBuffers(ReadOnlySpan<IoVec> buffers)
    {
        fixed (IoVec* p = buffers)
        {
            return Register(IORING_REGISTER_BUFFERS, p, (uint)buffers.Length);
        }
    }

    public int UnregisterBuffers() => Register(IORING_UNREGISTER_BUFFERS, null, 0);

    /// <summary>
    /// Registers a provided buffer ring of <paramref name="entries"/> entries at <paramref name="ringMemory"/> (page
    /// aligned) as buffer group <paramref name="groupId"/> (<c>IORING_REGISTER_PBUF_RING</c>, Linux 5.19). The kernel
    /// takes buffers from it for requests that carry <c>IOSQE_BUFFER_SELECT</c> with that group.
    /// </summary>
    public int RegisterBufferRing(void* ringMemory, uint entries, ushort groupId)
    {
        BufReg reg = default;
        reg.RingAddr = (ulong)ringMemory;
        reg.RingEntries = entries;
        reg.Bgid = groupId;
        return Register(IORING_REGISTER_PBUF_RING, &reg, 1);
    }

    /// <summary>Unregisters buffer group <paramref name="groupId"/>; the kernel no longer touches its ring or buffers.</summary>
    public int UnregisterBufferRing(ushort groupId)
    {
        BufReg reg = default;
        reg.Bgid = groupId;
        return Register(IORING_UNREGISTER_PBUF_RING, &reg, 1);
    }

    /// <summary>
    /// Registers the ring's own descriptor with the calling thread (<c>IORING_REGISTER_RING_FDS</c>, Linux 5.18), so
    /// every later <c>io_uring_enter</c> from this thread names it by index and skips the kernel's file-table lookup.
    /// The registration belongs to the thread (at most 16 per thread): only the owner thread may call this, and
    /// <see cref="Dispose"/> must run on it too. Returns 0 or -errno; on failure enters keep using the descriptor.
    /// </summary>
    public int RegisterRingFd()
    {
        RsrcUpdate update = default;
        update.Offset = uint.MaxValue; // let the kernel pick a free slot
        update.Data = (ulong)_fd;
        int rc = Register(IORING_REGISTER_RING_FDS, &update, 1);
        if (rc != 1)
        {
            return rc < 0 ? rc : -Errno.EINVAL;
        }

        _enterFd = (int)update.Offset;
        _enterFlags = IORING_ENTER_REGISTERED_RING;
        return 0;
    }

    private void UnregisterRingFd()
    {
        if (_enterFlags == 0)
        {
            return;
        }

        RsrcUpdate update = default;
        update.Offset = (uint)_enterFd;
        _ = Register(IORING_UNREGISTER_RING_FDS, &update, 1);
        _enterFd = _fd;
        _enterFlags = 0;
    }

    /// <summary>
    /// Bounds the kernel's io-wq worker threads for this ring (0 leaves a value unchanged). On success the previous
    /// limits are written back into the arguments.
    /// </summary>
    public int SetIoWorkerLimits(ref uint bounded, ref uint unbounded)
    {
        uint* values = stackalloc uint[2] { bounded, unbounded };
        int rc = Register(IORING_REGISTER_IOWQ_MAX_WORKERS, values, 2);
        if (rc >= 0)
        {
            bounded = values[0];
            unbounded = values[1];
        }

        return rc;
    }

    // Every registration goes through here, so that a fault plan can refuse it as the kernel would (ENOMEM, EMFILE).
    private int Register(uint opcode, void* arg, uint count)
    {
        if (_faults is not null)
        {
            int refused = _faults.OnRegister(opcode);
            if (refused < 0)
            {
                return refused;
            }
        }

        return Interop.IoUring.Register(_fd, opcode, arg, count);
    }
}
