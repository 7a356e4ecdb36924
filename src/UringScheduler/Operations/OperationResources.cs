using System.Buffers;
using System.Runtime.InteropServices;

namespace UringScheduler.Operations;

/// <summary>
/// Everything an operation borrows for the kernel while the request is in flight: pinned caller buffers, a leased pool
/// buffer, native memory it owns (a path), the reference on the file's handle and the lease on a registered-file slot.
/// All of it is given back by one <see cref="Release"/>, called only once the final completion has arrived.
/// </summary>
internal unsafe struct OperationResources
{
    private MemoryHandle _pin;
    private MemoryHandle[]? _pins;
    private int _pinCount;
    private UringBuffer? _leasedBuffer;
    private nint _ownedNative;
    private SafeHandle? _handle;
    private IFixedFileLease? _fixedFile;

    // Set by every acquisition: most requests borrow one or two things, and a NOP none, so Release usually has little
    // or nothing to look at.
    private bool _held;

    /// <summary>Pins <paramref name="buffer"/> until <see cref="Release"/>; returns its address.</summary>
    public void* Pin(ReadOnlyMemory<byte> buffer)
    {
        _pin = buffer.Pin();
        _held = true;
        return _pin.Pointer;
    }

    /// <summary>Pins one more segment of a vectored request; returns its address.</summary>
    public void* PinSegment(ReadOnlyMemory<byte> segment)
    {
        if (_pins is null || _pinCount == _pins.Length)
        {
            Array.Resize(ref _pins, Math.Max(16, (_pins?.Length ?? 0) * 2));
        }

        MemoryHandle pin = segment.Pin();
        _pins[_pinCount++] = pin;
        _held = true;
        return pin.Pointer;
    }

    /// <summary>Keeps <paramref name="buffer"/> from going back to its pool until <see cref="Release"/>.</summary>
    public void LeaseBuffer(UringBuffer buffer)
    {
        buffer.AddOperationReference();
        _leasedBuffer = buffer;
        _held = true;
    }

    /// <summary>Allocates native memory that is freed at <see cref="Release"/> (the kernel may read it until then).</summary>
    public void* AllocateNative(int bytes)
    {
        _ownedNative = (nint)NativeMemory.Alloc((nuint)bytes);
        _held = true;
        return (void*)_ownedNative;
    }

    /// <summary>Takes over a reference the caller took on <paramref name="handle"/> (<c>DangerousAddRef</c>).</summary>
    public void AdoptHandleReference(SafeHandle handle)
    {
        _handle = handle;
        _held = true;
    }

    /// <summary>Takes over a lease on a registered-file slot.</summary>
    public void AdoptFixedFile(IFixedFileLease lease)
    {
        _fixedFile = lease;
        _held = true;
    }

    /// <summary>Gives everything back. Idempotent.</summary>
    public void Release()
    {
        if (!_held)
        {
            return;
        }

        _held = false;
        _pin.Dispose();
        _pin = default;
        for (int i = 0; i < _pinCount; i++)
        {
            _pins![i].Dispose();
            _pins[i] = default;
        }

        _pinCount = 0;
        if (_leasedBuffer is not null)
        {
            _leasedBuffer.ReleaseOperationReference();
            _leasedBuffer = null;
        }

        if (_ownedNative != 0)
        {
            NativeMemory.Free((void*)_ownedNative);
            _ownedNative = 0;
        }

        if (_fixedFile is not null)
        {
            _fixedFile.Release();
            _fixedFile = null;
        }

        if (_handle is not null)
        {
            _handle.DangerousRelease();
            _handle = null;
        }
    }

    /// <summary>Whether anything is still borrowed.</summary>
    public readonly bool IsHeld => _held;
}
