using System.Diagnostics;
using Mono.Unix.Native;
using Errno = UringScheduler.Native.Errno;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

/// <summary>
/// One io_uring instance: its fd, the mmapped submission and completion rings and the SQE array. A ring is owned by
/// one thread (the one that created it, which is also the only thread allowed to enter it under
/// <c>SINGLE_ISSUER | DEFER_TASKRUN</c>); no member is thread-safe.
/// </summary>
internal sealed unsafe partial class Ring : IDisposable
{
    private int _fd;
    private readonly RingFeatures _features;

    // Mappings, kept to unmap them on dispose. With IORING_FEAT_SINGLE_MMAP the CQ ring shares the SQ ring's mapping.
    private nint _sqRingPtr;
    private nuint _sqRingSize;
    private nint _cqRingPtr;
    private nuint _cqRingSize;
    private nint _sqesPtr;
    private nuint _sqesSize;

    // What io_uring_enter is called with: the descriptor, or its index once registered with the owner thread.
    private int _enterFd;
    private uint _enterFlags;

    private Ring(int fd, in Params p, RingSetupRung rung, string kernelRelease)
    {
        _fd = fd;
        _enterFd = fd;
        try
        {
            MapRings(p);
            _features = new RingFeatures(rung, p.Flags, p.Features, p.SqEntries, p.CqEntries, ProbeOps(), kernelRelease);
        }
        catch
        {
            Unmap();
            Interop.Libc.Close(fd);
            _fd = -1;
            throw;
        }
    }

    /// <summary>The ring's file descriptor.</summary>
    public int Fd => _fd;

    /// <summary>What the kernel granted this ring.</summary>
    public RingFeatures Features => _features;

    public bool IsDisposed => _fd < 0;

    // IORING_MAX_CQ_ENTRIES: twice the kernel's largest SQ (32768).
    private const uint MaxCqEntries = 65536;

    /// <summary>
    /// Creates a ring on the calling thread, starting at <paramref name="highestRung"/> and stepping down the setup
    /// ladder while the kernel rejects flags with EINVAL. The CQ gets <paramref name="cqEntries"/> entries (0: twice the SQ).
    /// </summary>
    /// <exception cref="UringUnavailableException">The kernel refused every rung; the message names the likely cause.</exception>
    public static Ring Create(uint entries, RingSetupRung highestRung = RingSetupRung.DeferTaskRun, uint cqEntries = 0) =>
        Create(entries, highestRung, cqEntries, OptionalFlagsFor);

    /// <summary>As <see cref="Create(uint, RingSetupRung, uint)"/>, with the optional flags of each rung given (a test seam that drives the retry without them).</summary>
    internal static Ring Create(uint entries, RingSetupRung highestRung, uint cqEntries, Func<RingSetupRung, uint> optionalFlagsFor)
    {
        if (entries == 0 || entries > 32768 || (entries & (entries - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(entries), entries, "Ring entries must be a power of two from 1 to 32768.");
        }

        // Checked here rather than left to the kernel: io_uring_setup answers a bad CQ size with EINVAL, which the
        // ladder below takes for "flag unknown" and walks down to the bare ring, silently losing CQSIZE and
        // SINGLE_ISSUER|DEFER_TASKRUN. (The kernel rounds a non-power-of-two CQ size up; that is harmless.)
        if (cqEntries != 0 && (cqEntries < entries || cqEntries > MaxCqEntries))
        {
            throw new ArgumentOutOfRangeException(nameof(cqEntries), cqEntries, $"CQ entries must be 0 (twice the SQ) or from the SQ size ({entries}) to {MaxCqEntries}.");
        }

        cqEntries = cqEntries == 0 ? entries * 2 : cqEntries;
        string kernel = KernelRelease();
        int lastErrno = 0;
        uint lastFlags = 0;
        for (RingSetupRung rung = highestRung; rung <= RingSetupRung.Plain + 1; rung++)
        {
            Params p = default;
            p.Flags = FlagsFor(rung) | optionalFlagsFor(rung);
            p.CqEntries = cqEntries;
            int fd = Interop.IoUring.Setup(entries, &p);
            if (fd == -Errno.EINVAL && optionalFlagsFor(rung) != 0)
            {
                // A kernel that has the rung but not the extras (DEFER_TASKRUN is 6.1, NO_SQARRAY 6.6): same rung without them.
                p = default;
                p.Flags = FlagsFor(rung);
                p.CqEntries = cqEntries;
                fd = Interop.IoUring.Setup(entries, &p);
            }

            if (fd >= 0)
            {
                return new Ring(fd, p, rung > RingSetupRung.Plain ? RingSetupRung.Plain : rung, kernel);
            }

            lastErrno = -fd;
            lastFlags = FlagsFor(rung);
            if (lastErrno != Errno.EINVAL)
            {
                break;
            }
        }

        throw RingSetupErrors.ForSetupFailure(lastErrno, lastFlags, kernel);
    }

    /// <summary>
    /// Flags asked for on a rung when the kernel has them, dropped (staying on the rung) when it answers EINVAL.
    /// <c>NO_SQARRAY</c> removes the kernel's read of the SQ index array for every SQE.
    /// </summary>
    internal static uint OptionalFlagsFor(RingSetupRung rung) =>
        rung == RingSetupRung.DeferTaskRun ? IORING_SETUP_NO_SQARRAY : 0;

    // The last "rung" past Plain is the bare ring with no flags at all, for kernels that predate CQSIZE and CLAMP.
    internal static uint FlagsFor(RingSetupRung rung) => rung switch
    {
        RingSetupRung.DeferTaskRun => IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
        RingSetupRung.CoopTaskRun => IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
        RingSetupRung.Plain => IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP,
        _ => 0,
    };

    internal static string KernelRelease()
    {
        try
        {
            return Syscall.uname(out Utsname name) == 0 ? name.release : "unknown";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "unknown";
        }
    }

    private void MapRings(in Params p)
    {
        bool noSqArray = (p.Flags & IORING_SETUP_NO_SQARRAY) != 0;
        _sqRingSize = noSqArray ? Math.Max(p.SqOff.Flags, p.SqOff.Dropped) + sizeof(uint) : p.SqOff.Array + p.SqEntries * sizeof(uint);
        _cqRingSize = p.CqOff.Cqes + p.CqEntries * (nuint)sizeof(Cqe);
        bool single = (p.Features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single)
        {
            _sqRingSize = _cqRingSize = Math.Max(_sqRingSize, _cqRingSize);
        }

        _sqRingPtr = Map(_sqRingSize, IORING_OFF_SQ_RING);
        _cqRingPtr = single ? _sqRingPtr : Map(_cqRingSize, IORING_OFF_CQ_RING);
        _sqesSize = p.SqEntries * (nuint)sizeof(Sqe);
        _sqesPtr = Map(_sqesSize, IORING_OFF_SQES);

        byte* sq = (byte*)_sqRingPtr;
        _sqHead = (uint*)(sq + p.SqOff.Head);
        _sqTail = (uint*)(sq + p.SqOff.Tail);
        _sqMask = *(uint*)(sq + p.SqOff.RingMask);
        _sqEntries = *(uint*)(sq + p.SqOff.RingEntries);
        _sqFlags = (uint*)(sq + p.SqOff.Flags);
        _sqDropped = (uint*)(sq + p.SqOff.Dropped);
        _sqes = (Sqe*)_sqesPtr;
        _sqeTail = *_sqTail;

        // The SQ array adds an indirection we do not use: without NO_SQARRAY (before 6.6), map slot i to SQE i once,
        // so publishing the tail is enough. With it, the kernel indexes the SQEs by the head directly.
        if (!noSqArray)
        {
            uint* array = (uint*)(sq + p.SqOff.Array);
            for (uint i = 0; i < _sqEntries; i++)
            {
                array[i] = i;
            }
        }

        byte* cq = (byte*)_cqRingPtr;
        _cqHead = (uint*)(cq + p.CqOff.Head);
        _cqTail = (uint*)(cq + p.CqOff.Tail);
        _cqMask = *(uint*)(cq + p.CqOff.RingMask);
        _cqEntries = *(uint*)(cq + p.CqOff.RingEntries);
        _cqOverflow = (uint*)(cq + p.CqOff.Overflow);
        _cqes = (Cqe*)(cq + p.CqOff.Cqes);
    }

    private nint Map(nuint size, long offset)
    {
        nint ptr = Syscall.mmap(0, size, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED | MmapFlags.MAP_POPULATE, _fd, offset);
        if (ptr == -1)
        {
            int errno = NativeConvert.FromErrno(Stdlib.GetLastError());
            throw RingSetupErrors.ForMmapFailure(errno, size);
        }

        return ptr;
    }

    private ulong[] ProbeOps()
    {
        const int MaxOps = 256;
        int size = sizeof(Probe) + (MaxOps * sizeof(ProbeOp));
        byte* buffer = stackalloc byte[size];
        new Span<byte>(buffer, size).Clear();
        var supported = new ulong[MaxOps / 64];
        int rc = Interop.IoUring.Register(_fd, IORING_REGISTER_PROBE, buffer, MaxOps);
        if (rc < 0)
        {
            // Kernels before 5.6 have no probe: assume the 5.1 set (NOP..WRITE_FIXED, POLL, FSYNC).
            for (int op = 0; op <= (int)IoUringOp.SyncFileRange; op++)
            {
                supported[op >> 6] |= 1UL << (op & 63);
            }

            return supported;
        }

        var probe = (Probe*)buffer;
        var ops = (ProbeOp*)(buffer + sizeof(Probe));
        for (int i = 0; i < probe->OpsLen; i++)
        {
            if ((ops[i].Flags & IO_URING_OP_SUPPORTED) != 0)
            {
                int op = ops[i].Op;
                supported[op >> 6] |= 1UL << (op & 63);
            }
        }

        return supported;
    }

    private void Unmap()
    {
        if (_sqesPtr != 0)
        {
            Syscall.munmap(_sqesPtr, _sqesSize);
            _sqesPtr = 0;
        }

        if (_cqRingPtr != 0 && _cqRingPtr != _sqRingPtr)
        {
            Syscall.munmap(_cqRingPtr, _cqRingSize);
        }

        _cqRingPtr = 0;
        if (_sqRingPtr != 0)
        {
            Syscall.munmap(_sqRingPtr, _sqRingSize);
            _sqRingPtr = 0;
        }
    }

    /// <summary>
    /// Unmaps the rings and closes the fd. The kernel cancels whatever is still in flight and waits for it before it
    /// frees the ring; callers that lent buffers to the ring must have reaped every completion first.
    /// </summary>
    public void Dispose()
    {
        if (_fd < 0)
        {
            return;
        }

        UnregisterRingFd();
        Unmap();
        int rc = Interop.Libc.Close(_fd);
        Debug.Assert(rc == 0);
        _fd = -1;
    }
}
