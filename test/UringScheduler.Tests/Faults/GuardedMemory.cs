using System.Buffers;
using System.Runtime.InteropServices;

namespace UringScheduler.Tests.Faults;

/// <summary>
/// Native memory that checks, each time an operation unpins it, that no request the kernel still owns names it
/// (<see cref="FaultPlan.KernelMayAccess"/>): an operation that gives its buffer back before its final completion is
/// recorded as a violation in the plan. Counts pins so that a test can also see every pin was given back.
/// </summary>
internal sealed unsafe class GuardedMemory : MemoryManager<byte>
{
    private readonly FaultPlan _plan;
    private readonly int _length;
    private byte* _pointer;
    private int _pins;

    public GuardedMemory(FaultPlan plan, int length)
    {
        _plan = plan;
        _length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
        GetSpan().Clear();
    }

    /// <summary>Pins taken and not yet given back.</summary>
    public int Pins => Volatile.Read(ref _pins);

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        Interlocked.Increment(ref _pins);
        return new MemoryHandle(_pointer + elementIndex, default, this);
    }

    public override void Unpin()
    {
        if (_plan.KernelMayAccess((nint)_pointer, _length))
        {
            _plan.AddViolation($"a buffer was unpinned while a request the kernel owns names it ({Environment.StackTrace})");
        }

        Interlocked.Decrement(ref _pins);
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
