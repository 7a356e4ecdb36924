using System.Diagnostics;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Faults;

/// <summary>
/// A scripted <see cref="IRingFaults"/>: injects one <see cref="FaultKind"/> into a worker's ring, and meanwhile keeps the
/// books every fault test checks against: which SQEs the kernel owns (published, final completion not yet seen) and the
/// memory each one names, so that a buffer given back while the kernel may still touch it is caught
/// (<see cref="KernelMayAccess"/>), and a completion that arrives without its SQE, or an SQE that never completes, is
/// reported (<see cref="Violations"/>, <see cref="InKernel"/>).
/// </summary>
internal sealed unsafe class FaultPlan : IRingFaults
{
    private const ulong InternalBit = 1UL << 63;

    private readonly object _gate = new();
    private readonly Dictionary<ulong, int> _inKernel = [];
    private readonly Dictionary<ulong, List<(nint Start, nint End)>> _ranges = [];
    private readonly Dictionary<ulong, IoUringOp> _opcodes = [];
    private readonly HashSet<ulong> _touched = [];
    private readonly HashSet<ulong> _touchedAtCompletion = [];
    private readonly HashSet<ulong> _canceledByPlan = [];
    private readonly HashSet<ulong> _cancelSeen = [];
    private readonly Dictionary<ulong, Cqe> _held = [];
    private readonly Queue<Cqe> _due = new();
    private readonly List<string> _violations = [];
    private readonly HashSet<IoUringOp> _targets;
    private int _budget;
    private int _enterCalls;
    private int _overflowEpisodes;
    private long _withholdSince = -1;

    public FaultPlan(FaultKind kind, IEnumerable<IoUringOp>? targets = null, uint cqEntries = 0, int budget = 64)
    {
        Kind = kind;
        _targets = [.. targets ?? []];
        CqEntries = cqEntries;
        _budget = budget;
    }

    public FaultKind Kind { get; }

    /// <summary>Registration opcodes refused with <c>ENOMEM</c>.</summary>
    public HashSet<uint> RefusedRegistrations { get; } = [];

    public uint CqEntries { get; }

    /// <summary>How many times the fault was injected.</summary>
    public int Injected { get; private set; }

    /// <summary>Times the kernel was seen holding overflowed completions (<c>IORING_SQ_CQ_OVERFLOW</c>).</summary>
    public int OverflowsSeen { get; private set; }

    /// <summary>Completions held back waiting for a cancel.</summary>
    public int HeldCount
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    public int DueCount
    {
        get
        {
            lock (_gate)
            {
                return _due.Count;
            }
        }
    }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>user_data of requests the kernel still owns, with how many of their SQEs are outstanding.</summary>
    public IReadOnlyDictionary<ulong, int> InKernel
    {
        get
        {
            lock (_gate)
            {
                return _inKernel.Where(p => p.Value != 0).ToDictionary(p => p.Key, p => p.Value);
            }
        }
    }

    /// <summary>Whether a request the kernel still owns names memory in [<paramref name="start"/>, +<paramref name="length"/>).</summary>
    public bool KernelMayAccess(nint start, int length)
    {
        nint end = start + length;
        lock (_gate)
        {
            foreach ((ulong userData, List<(nint Start, nint End)> ranges) in _ranges)
            {
                if (_inKernel.GetValueOrDefault(userData) > 0 && ranges.Any(r => r.Start < end && start < r.End))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public void AddViolation(string violation)
    {
        lock (_gate)
        {
            _violations.Add(violation);
        }
    }

    public void OnPublish(Sqe* sqe)
    {
        lock (_gate)
        {
            ulong userData = sqe->UserData;
            var op = (IoUringOp)sqe->Opcode;
            if (op == IoUringOp.AsyncCancel)
            {
                OnCancelPublished(sqe->Addr);

                // A slow reaper only while the workload runs: a worker that cancels (its shutdown among others) reaps.
                _overflowEpisodes = int.MaxValue;
            }

            if ((userData & InternalBit) == 0 && _targets.Contains(op))
            {
                InjectIntoSqe(sqe, userData, op);
            }

            _inKernel[userData] = _inKernel.GetValueOrDefault(userData) + 1;
            _opcodes[userData] = op;
            _ranges[userData] = RangesOf(sqe);
        }
    }

    private void InjectIntoSqe(Sqe* sqe, ulong userData, IoUringOp op)
    {
        bool firstTime = _touched.Add(userData);
        switch (Kind)
        {
            case FaultKind.ShortTransfer when IsSingleBuffer(op) && sqe->Len > 1 && _budget > 0:
                sqe->Len /= 2;
                Spend();
                break;
            case FaultKind.ZeroTransfer when (IsSingleBuffer(op) || IsVectored(op)) && firstTime && _budget > 0:
                // No bytes, or no iovecs: the kernel answers 0.
                sqe->Len = 0;
                Spend();
                break;
            case FaultKind.CanceledByKernel or FaultKind.CancelWins when firstTime && _budget > 0:
                // The request never runs: the kernel sees a NOP that touches nothing, whose completion becomes -ECANCELED.
                byte link = (byte)(sqe->Flags & IOSQE_IO_LINK);
                *sqe = default;
                sqe->Opcode = (byte)IoUringOp.Nop;
                sqe->Flags = link;
                sqe->UserData = userData;
                _canceledByPlan.Add(userData);
                Spend();
                break;
        }
    }

    private void OnCancelPublished(ulong target)
    {
        _cancelSeen.Add(target);
        if (_held.Remove(target, out Cqe held))
        {
            _due.Enqueue(held);
        }
    }

    public int OnEnter(ref uint toSubmit, ref uint minComplete, uint flags)
    {
        lock (_gate)
        {
            _enterCalls++;
            if (_budget <= 0)
            {
                return 0;
            }

            switch (Kind)
            {
                case FaultKind.EnterEagain or FaultKind.EnterEbusy when (toSubmit > 0 || minComplete > 0) && _enterCalls % 2 == 1:
                    Spend();
                    return Kind == FaultKind.EnterEagain ? -Errno.EAGAIN : -Errno.EBUSY;
                case FaultKind.PartialSubmit when toSubmit > 1:
                    // The kernel stops at the first SQE it cannot allocate a request for and returns without waiting.
                    toSubmit = 1;
                    minComplete = 0;
                    Spend();
                    return 0;
                case FaultKind.EnterEintr when minComplete > 0:
                    Spend();
                    if (toSubmit > 0)
                    {
                        // Submitted, then interrupted while waiting: the count comes back, without the wait.
                        minComplete = 0;
                        return 0;
                    }

                    return -Errno.EINTR;
                default:
                    return 0;
            }
        }
    }

    public bool WithholdDrain(uint cqReady, bool overflowPending)
    {
        if (Kind != FaultKind.CqOverflow || _overflowEpisodes >= 3)
        {
            return false;
        }

        if (overflowPending)
        {
            OverflowsSeen++;
            _overflowEpisodes++;
            _withholdSince = -1;
            return false;
        }

        if (cqReady == 0)
        {
            return false;
        }

        // Leave the CQ alone until the kernel overflows it, within a bound so that a workload too small to overflow ends.
        if (_withholdSince < 0)
        {
            _withholdSince = Stopwatch.GetTimestamp();
            Injected++;
        }

        if (Stopwatch.GetElapsedTime(_withholdSince) > TimeSpan.FromSeconds(5))
        {
            _overflowEpisodes = int.MaxValue;
            return false;
        }

        return true;
    }

    public bool OnCompletion(ref Cqe cqe)
    {
        lock (_gate)
        {
            ulong userData = cqe.UserData;
            if ((cqe.Flags & IORING_CQE_F_MORE) == 0)
            {
                int left = _inKernel.GetValueOrDefault(userData) - 1;
                _inKernel[userData] = left;
                if (left < 0)
                {
                    _violations.Add($"a completion for user_data {userData:x} with no SQE of it in the kernel (res {cqe.Res})");
                }
            }

            if ((userData & InternalBit) != 0 || !_opcodes.TryGetValue(userData, out IoUringOp op) || !_targets.Contains(op) && !_canceledByPlan.Contains(userData))
            {
                return true;
            }

            return InjectIntoCompletion(ref cqe, userData, op);
        }
    }

    private bool InjectIntoCompletion(ref Cqe cqe, ulong userData, IoUringOp op)
    {
        switch (Kind)
        {
            case FaultKind.ShortTransfer when IsVectored(op) && cqe.Res > 1 && _budget > 0:
                cqe.Res /= 2;
                Spend();
                return true;
            case FaultKind.CanceledByKernel when _canceledByPlan.Remove(userData):
                cqe.Res = -Errno.ECANCELED;
                return true;
            case FaultKind.CancelWins or FaultKind.CompletionWinsCancel:
                if (Kind == FaultKind.CancelWins)
                {
                    if (!_canceledByPlan.Remove(userData))
                    {
                        return true;
                    }

                    cqe.Res = -Errno.ECANCELED;
                }
                else if (!_touchedAtCompletion.Add(userData) || _budget <= 0)
                {
                    return true;
                }
                else
                {
                    Spend();
                }

                // Held as if not yet reaped, until the caller's cancel has gone to the kernel.
                if (_cancelSeen.Contains(userData))
                {
                    return true;
                }

                _held[userData] = cqe;
                return false;
            case FaultKind.StaleCanceled when _inKernel.GetValueOrDefault(userData) == 0 && _budget > 0:
                _due.Enqueue(new Cqe { UserData = userData, Res = -Errno.ECANCELED });
                Spend();
                return true;
            default:
                return true;
        }
    }

    public bool TryTakeDue(out Cqe cqe)
    {
        lock (_gate)
        {
            return _due.TryDequeue(out cqe);
        }
    }

    public int OnRegister(uint opcode)
    {
        lock (_gate)
        {
            if (RefusedRegistrations.Contains(opcode))
            {
                Injected++;
                return -Errno.ENOMEM;
            }

            return 0;
        }
    }

    private void Spend()
    {
        _budget--;
        Injected++;
    }

    private static bool IsSingleBuffer(IoUringOp op) =>
        op is IoUringOp.Read or IoUringOp.Write or IoUringOp.ReadFixed or IoUringOp.WriteFixed or IoUringOp.Send or IoUringOp.Recv;

    private static bool IsVectored(IoUringOp op) => op is IoUringOp.Readv or IoUringOp.Writev;

    // The memory the kernel may read or write for a request until its final completion.
    private static List<(nint Start, nint End)> RangesOf(Sqe* sqe)
    {
        var ranges = new List<(nint Start, nint End)>();
        var op = (IoUringOp)sqe->Opcode;
        nint addr = (nint)sqe->Addr;
        if (IsSingleBuffer(op))
        {
            ranges.Add((addr, addr + (nint)sqe->Len));
        }
        else if (IsVectored(op))
        {
            var iovecs = (IoVec*)addr;
            ranges.Add((addr, addr + (nint)(sqe->Len * (uint)sizeof(IoVec))));
            for (int i = 0; i < sqe->Len; i++)
            {
                ranges.Add(((nint)iovecs[i].Base, (nint)iovecs[i].Base + (nint)iovecs[i].Length));
            }
        }
        else if (op is IoUringOp.Timeout or IoUringOp.LinkTimeout)
        {
            ranges.Add((addr, addr + sizeof(KernelTimespec)));
        }
        else if (op is IoUringOp.OpenAt)
        {
            ranges.Add((addr, addr + 1));
        }

        return ranges;
    }
}
