using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tsavorite.core;

namespace UringScheduler.Tsavorite;

/// <summary>
/// A Tsavorite storage device on a <see cref="UringRuntime"/>: one file per segment (<c>NAME.0</c>, <c>NAME.1</c>...,
/// as Garnet's own local devices name them), opened with <c>O_DIRECT</c>, read and written through <see cref="UringFile"/>
/// on the runtime's workers, so each file is registered in each worker's ring that uses it.
/// </summary>
/// <remarks>
/// <para>
/// Tsavorite calls a device from any thread. A call made on a worker of the device's runtime submits to that worker's
/// ring at once; a call from any other thread is posted to a worker (chosen by the calling thread, so one thread's
/// requests stay on one ring), which submits it. Either way the completion is reaped by that worker and Tsavorite's
/// callback runs on the worker thread, with no ThreadPool work item on the way. Callbacks that throw are logged, never
/// rethrown into the worker.
/// </para>
/// <para>
/// The workers reap completions on their own, so a thread that waits for a completion (spinning on
/// <see cref="StorageDeviceBase.TryComplete"/> or blocking) always sees it arrive: <see cref="StorageDeviceBase.TryComplete"/> has nothing to poll.
/// The runtime must outlive the device.
/// </para>
/// </remarks>
public sealed class UringDevice : StorageDeviceBase
{
    private readonly UringRuntime _runtime;
    private readonly UringDeviceOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, UringFile> _files = new();
    private readonly ConcurrentQueue<DeviceRequest> _pool = new();
    private readonly Lock _openLock = new();
    private readonly bool _direct;
    private int _pending;
    private long _completedReads;
    private long _completedWrites;
    private int _fallbackLogged;
    private volatile bool _disposed;

    // Set under _openLock once the files are closed for good: a segment is not opened again after that.
    private bool _closed;

    /// <summary>Creates a device whose segment files are <c><paramref name="filename"/>.N</c>.</summary>
    /// <param name="filename">The path of the files, without the segment suffix; its directory is created if missing.</param>
    /// <param name="runtime">The runtime whose workers serve the device; it must outlive the device.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="capacity">The most bytes the device may hold (<see cref="Devices.CAPACITY_UNSPECIFIED"/>: no bound).</param>
    /// <param name="logger">Where failures and callback exceptions are logged.</param>
    public UringDevice(string filename, UringRuntime runtime, UringDeviceOptions? options = null, long capacity = Devices.CAPACITY_UNSPECIFIED, ILogger? logger = null)
        : this(filename, runtime, Prepare(filename, options), capacity, logger)
    {
    }

    private UringDevice(string filename, UringRuntime runtime, (UringDeviceOptions Options, SegmentFiles.Probe Probe) setup, long capacity, ILogger? logger)
        : base(filename, setup.Probe.SectorSize, capacity)
    {
        UringDeviceOptions options = setup.Options;
        SegmentFiles.Probe probe = setup.Probe;
        ArgumentNullException.ThrowIfNull(runtime);
        _runtime = runtime;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _direct = probe.Direct;
        ThrottleLimit = options.ThrottleLimit;
        if (options.Direct && !probe.Direct)
        {
            _logger.LogWarning("UringDevice {FileName}: {Source}", filename, probe.Source);
        }
    }

    /// <summary>The runtime whose workers serve this device.</summary>
    public UringRuntime Runtime => _runtime;

    /// <summary>Whether the segment files are opened with <c>O_DIRECT</c> (false where the file system refuses it).</summary>
    public bool IsDirect => _direct;

    /// <summary>Operations submitted and not yet completed.</summary>
    public int PendingOperations => Volatile.Read(ref _pending);

    /// <summary>Reads completed (successfully or not) since the device was created.</summary>
    public long CompletedReads => Interlocked.Read(ref _completedReads);

    /// <summary>Writes completed (successfully or not) since the device was created.</summary>
    public long CompletedWrites => Interlocked.Read(ref _completedWrites);

    /// <summary>True while more than <see cref="IDevice.ThrottleLimit"/> operations are in flight.</summary>
    public override bool Throttle() => Volatile.Read(ref _pending) > ThrottleLimit;

    /// <inheritdoc/>
    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
    {
        Submit(isWrite: false, segmentId, sourceAddress, destinationAddress, readLength, callback, context);
    }

    /// <inheritdoc/>
    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        HandleCapacity(segmentId);
        Submit(isWrite: true, segmentId, destinationAddress, sourceAddress, numBytesToWrite, callback, context);
    }

    private void Submit(bool isWrite, int segmentId, ulong fileOffset, IntPtr memory, uint length, DeviceIOCompletionCallback callback, object context)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_pool.TryDequeue(out DeviceRequest? request))
        {
            request = new DeviceRequest(this);
        }

        request.Set(isWrite, segmentId, (long)fileOffset, memory, length, callback, context);
        Interlocked.Increment(ref _pending);

        UringWorker? current = UringWorker.Current;
        if (current is not null && ReferenceEquals(current.Runtime, _runtime))
        {
            request.Start();
            return;
        }

        // A foreign thread: hand the whole request to a worker (a queued struct and, if the worker sleeps, an eventfd
        // write), which submits it to its own ring, so it goes out on the worker's registered file slot.
        IReadOnlyList<UringWorker> workers = _runtime.Workers;
        UringWorker worker = workers[(int)((uint)Environment.CurrentManagedThreadId % (uint)workers.Count)];
        if (!worker.TryPost(DeviceRequest.s_start, request))
        {
            // The runtime was disposed: nothing would ever run the request, and Tsavorite would wait for it for good.
            request.Fail(new ObjectDisposedException(nameof(UringRuntime), "The UringRuntime of this device was disposed; the request was not submitted."));
        }
    }

    /// <summary>The open file of <paramref name="segment"/>, opened (and created) on first use.</summary>
    internal UringFile GetSegmentFile(int segment)
    {
        if (_files.TryGetValue(segment, out UringFile? file))
        {
            return file;
        }

        lock (_openLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_files.TryGetValue(segment, out file))
            {
                return file;
            }

            string path = GetSegmentFilename(FileName, segment);
            var handle = SegmentFiles.Open(path, _direct, out bool directUsed);
            if (_direct && !directUsed && Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
            {
                _logger.LogWarning("UringDevice {Path}: O_DIRECT refused, using buffered I/O for this segment", path);
            }

            file = UringFile.FromHandle(handle, ownsHandle: true, direct: directUsed, runtime: _runtime);
            _files[segment] = file;
            return file;
        }
    }

    internal void OnCompleted(DeviceRequest request, bool isWrite)
    {
        Interlocked.Increment(ref isWrite ? ref _completedWrites : ref _completedReads);
        _pool.Enqueue(request);
        Interlocked.Decrement(ref _pending);
    }

    internal void LogFailure(bool isWrite, int segment, long offset, int length, Exception e) =>
        _logger.LogError(e, "UringDevice {FileName}: {Operation} of {Length} bytes at segment {Segment} offset {Offset} failed", FileName, isWrite ? "write" : "read", length, segment, offset);

    internal void LogCallbackFailure(Exception e) =>
        _logger.LogError(e, "UringDevice {FileName}: the completion callback threw", FileName);

    /// <inheritdoc/>
    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        RemoveSegment(segment);
        callback(result);
    }

    /// <summary>Closes the segment's file (requests in flight on it still complete) and deletes it.</summary>
    public override void RemoveSegment(int segment)
    {
        lock (_openLock)
        {
            if (_files.TryRemove(segment, out UringFile? file))
            {
                file.Dispose();
            }
        }

        try
        {
            File.Delete(GetSegmentFilename(FileName, segment));
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "UringDevice {FileName}: cannot delete segment {Segment}", FileName, segment);
        }
        catch (UnauthorizedAccessException e)
        {
            _logger.LogWarning(e, "UringDevice {FileName}: cannot delete segment {Segment}", FileName, segment);
        }
    }

    /// <summary>The segment size when segments are bounded; else the length of the segment's file.</summary>
    public override long GetFileSize(int segment)
    {
        if (segmentSize > 0)
        {
            return segmentSize;
        }

        return GetSegmentFile(segment).Length;
    }

    /// <summary>Waits for operations in flight, then closes every segment file.</summary>
    public override void Reset()
    {
        Drain();
        CloseFiles(delete: _options.DeleteOnClose, final: false);
    }

    /// <summary>
    /// Waits for operations in flight (up to <see cref="UringDeviceOptions.DrainTimeout"/>; not on a worker of the
    /// device's runtime, whose own completions need it), then closes the files, deleting them with
    /// <see cref="UringDeviceOptions.DeleteOnClose"/>.
    /// </summary>
    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Drain();
        CloseFiles(delete: _options.DeleteOnClose, final: true);
    }

    private void Drain()
    {
        if (UringWorker.Current?.Runtime == _runtime)
        {
            return;
        }

        long deadline = _options.DrainTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)_options.DrainTimeout.TotalMilliseconds;
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) > 0 && Environment.TickCount64 < deadline)
        {
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }

    private void CloseFiles(bool delete, bool final)
    {
        lock (_openLock)
        {
            _closed |= final;
            foreach (KeyValuePair<int, UringFile> entry in _files)
            {
                if (_files.TryRemove(entry.Key, out UringFile? file))
                {
                    file.Dispose();
                    if (delete)
                    {
                        File.Delete(GetSegmentFilename(FileName, entry.Key));
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"UringDevice({FileName}, sector {SectorSize}, {(_direct ? "O_DIRECT" : "buffered")}, pending {PendingOperations})";

    private static (UringDeviceOptions, SegmentFiles.Probe) Prepare(string filename, UringDeviceOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(filename);
        options = options?.Clone() ?? new UringDeviceOptions();
        options.Validate();
        return (options, SegmentFiles.ProbeDirectory(filename, options.Direct));
    }
}
