using System.Buffers;
using System.Runtime.CompilerServices;
using Tsavorite.core;

namespace UringScheduler.Tsavorite;

/// <summary>
/// One read or write of a <see cref="UringDevice"/>, pooled by the device: it is the <see cref="MemoryManager{T}"/>
/// that presents Tsavorite's raw pointer and length as the <see cref="Memory{T}"/> <see cref="UringFile"/> takes, and
/// it carries the request from the calling thread to a worker and through its completion without a task, a closure
/// or a ThreadPool work item.
/// </summary>
/// <remarks>
/// On the worker it submits the operation and awaits it through <see cref="ValueTaskAwaiter{TResult}"/> with a cached
/// continuation: the ring's operation resumes that continuation inline on the same worker when the completion is
/// reaped, and Tsavorite's callback is invoked right there. Tsavorite's memory is its own (page frames and sector-aligned
/// pool buffers), so pinning is a no-op: the pointer is already fixed for the life of the request.
/// </remarks>
internal sealed unsafe class DeviceRequest : MemoryManager<byte>
{
    internal static readonly SendOrPostCallback s_start = static state => ((DeviceRequest)state!).Start();

    private readonly UringDevice _device;
    private readonly Action _onReadCompleted;
    private readonly Action _onWriteCompleted;

    private byte* _pointer;
    private int _length;
    private int _done;
    private long _offset;
    private int _segment;
    private bool _isWrite;
    private UringFile? _file;
    private DeviceIOCompletionCallback? _callback;
    private object? _context;
    private ValueTaskAwaiter<int> _readAwaiter;
    private ValueTaskAwaiter _writeAwaiter;

    public DeviceRequest(UringDevice device)
    {
        _device = device;
        _onReadCompleted = OnReadCompleted;
        _onWriteCompleted = OnWriteCompleted;
    }

    public void Set(bool isWrite, int segment, long offset, IntPtr pointer, uint length, DeviceIOCompletionCallback callback, object? context)
    {
        _isWrite = isWrite;
        _segment = segment;
        _offset = offset;
        _pointer = (byte*)pointer;
        _length = checked((int)length);
        _done = 0;
        _callback = callback;
        _context = context;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>Runs on a worker of the device's runtime: opens the segment if needed and submits the operation.</summary>
    public void Start()
    {
        try
        {
            _file = _device.GetSegmentFile(_segment);
            if (_isWrite)
            {
                ValueTaskAwaiter awaiter = _file.WriteAsync(Memory, _offset).GetAwaiter();
                if (awaiter.IsCompleted)
                {
                    _writeAwaiter = awaiter;
                    OnWriteCompleted();
                    return;
                }

                _writeAwaiter = awaiter;
                awaiter.UnsafeOnCompleted(_onWriteCompleted);
            }
            else
            {
                SubmitRead();
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void SubmitRead()
    {
        ValueTaskAwaiter<int> awaiter = _file!.ReadAsync(Memory.Slice(_done), _offset + _done).GetAwaiter();
        _readAwaiter = awaiter;
        if (awaiter.IsCompleted)
        {
            OnReadCompleted();
            return;
        }

        awaiter.UnsafeOnCompleted(_onReadCompleted);
    }

    private void OnReadCompleted()
    {
        int n;
        try
        {
            n = _readAwaiter.GetResult();
        }
        catch (Exception e)
        {
            _readAwaiter = default;
            Fail(e);
            return;
        }

        _readAwaiter = default;
        _done += n;

        // A short read ends at end of file; the rest is asked for again only while the next offset is still one that
        // O_DIRECT accepts (a file whose length is not a sector multiple ends on a partial sector).
        if (n > 0 && _done < _length && _done % _device.SectorSize == 0)
        {
            try
            {
                SubmitRead();
            }
            catch (Exception e)
            {
                Fail(e);
            }

            return;
        }

        Complete(0, (uint)_done, null);
    }

    private void OnWriteCompleted()
    {
        try
        {
            _writeAwaiter.GetResult();
        }
        catch (Exception e)
        {
            _writeAwaiter = default;
            Fail(e);
            return;
        }

        _writeAwaiter = default;
        Complete(0, (uint)_length, null);
    }

    /// <summary>Ends the request with <paramref name="e"/> through Tsavorite's callback.</summary>
    internal void Fail(Exception e)
    {
        IOException? io = e as IOException ?? e.InnerException as IOException;

        // Tsavorite reads the error code as an errno-like value: the IOException's HResult carries the errno.
        uint errorCode = io is not null && io.HResult != 0 ? (uint)(io.HResult & 0xFFFF) : uint.MaxValue;
        _device.LogFailure(_isWrite, _segment, _offset, _length, e);
        Complete(errorCode, 0, e);
    }

    private void Complete(uint errorCode, uint bytes, Exception? error)
    {
        DeviceIOCompletionCallback callback = _callback!;
        object? context = _context;
        bool isWrite = _isWrite;
        _callback = null;
        _context = null;
        _file = null;
        _pointer = null;
        _device.OnCompleted(this, isWrite);
        try
        {
            callback(errorCode, bytes, context, error);
        }
        catch (Exception e)
        {
            // The callback runs on a worker: an exception must not unwind into the worker's completion loop.
            _device.LogCallbackFailure(e);
        }
    }
}
