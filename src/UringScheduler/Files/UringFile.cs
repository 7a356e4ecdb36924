using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;
using UringScheduler.Files;
using UringScheduler.Operations;
using Errno = UringScheduler.Native.Errno;
using Interop = UringScheduler.Native.Interop;

namespace UringScheduler;

/// <summary>
/// An open file for a storage engine's fast path: registered in the fixed-file table of each worker's ring that uses
/// it (operations then go out with <c>IOSQE_FIXED_FILE</c>, skipping the kernel's file lookup per request), optionally
/// opened with <c>O_DIRECT</c> (requests are checked against the file's alignment before anything is submitted),
/// with per-operation timeouts (<c>LINK_TIMEOUT</c>) and <c>fsync</c>/<c>fdatasync</c>. Reads and writes into
/// <see cref="UringBuffer"/>s from <see cref="UringRuntime.Buffers"/> use <c>READ_FIXED</c>/<c>WRITE_FIXED</c>.
/// </summary>
/// <remarks>
/// Reads and writes have <see cref="UringRandomAccess"/>'s semantics (short reads as the kernel gives them, writes in
/// full). Thread-safe; the registered-slot fast path applies to calls made on workers of the runtime the file was
/// opened for (the current worker's, else the ambient one). Disposing while operations are in flight is safe: the
/// descriptor stays open and registered until the last of them has completed.
/// </remarks>
public sealed class UringFile : IDisposable, IAsyncDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly bool _ownsHandle;
    private readonly UringRuntime? _runtime;
    private readonly FileSlot?[] _slots;
    private readonly int _fd;
    private int _disposed;
    private UringIoClass _ioClass;

    // The file's path for errors of requests on a slot, taken when the first slot is made.
    private string? _slotPath;

    private UringFile(SafeFileHandle handle, bool ownsHandle, string? path, bool direct, TimeSpan? operationTimeout, UringRuntime? runtime = null, UringIoClass? ioClass = null)
    {
        _ioClass = ioClass ?? UringIoClass.Foreground;
        _handle = handle;
        _ownsHandle = ownsHandle;
        _fd = (int)handle.DangerousGetHandle();
        Path = path;
        IsDirect = direct;
        OperationTimeout = operationTimeout;
        _runtime = runtime ?? UringWorker.Current?.Runtime ?? UringRuntime.Ambient;
        _slots = new FileSlot?[_runtime?.Workers.Count ?? 0];
        Alignment = direct ? DirectIo.Query(_fd) : new DirectIoAlignment(1, 1, "buffered I/O: no alignment needed");
        Profile = new FileProfile(direct ? Alignment : null, FileProfile.DeviceOf(_fd));
    }

    /// <summary>What the I/O scheduler needs to know of the file: its device and whether it is O_DIRECT.</summary>
    internal FileProfile Profile { get; }

    /// <summary>The file's handle (owned by this object unless it was wrapped with <c>ownsHandle: false</c>).</summary>
    public SafeFileHandle Handle => _handle;

    /// <summary>The path the file was opened with, or null when it was wrapped from a handle.</summary>
    public string? Path { get; }

    /// <summary>Whether the file was opened with <c>O_DIRECT</c>.</summary>
    public bool IsDirect { get; }

    /// <summary>What <c>O_DIRECT</c> requires of buffers, offsets and lengths for this file (all 1 for buffered files).</summary>
    public DirectIoAlignment Alignment { get; }

    /// <summary>
    /// The I/O class of the file's reads, writes and flushes when the device they go to is at capacity. Changing it
    /// affects operations issued afterwards.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public UringIoClass IoClass
    {
        get => _ioClass;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _ioClass = value;
        }
    }

    /// <summary>The timeout applied to reads and writes that pass none, or null.</summary>
    public TimeSpan? OperationTimeout { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length => System.IO.RandomAccess.GetLength(_handle);

    /// <summary>Opens <paramref name="path"/> with blocking <c>open(2)</c>. On a worker prefer <see cref="OpenAsync"/>, which does not block the worker.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist and the mode does not create it.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="NotSupportedException">O_DIRECT was asked for and the file system does not support it.</exception>
    public static UringFile Open(string path, UringFileOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options = options?.Clone() ?? new UringFileOptions();
        int flags = NativeFlags(options);
        int fd = Interop.Libc.Open(path, flags, (uint)options.CreateMode);
        if (fd < 0 && options.NoAccessTime && Marshal.GetLastPInvokeError() == Errno.EPERM)
        {
            // O_NOATIME is allowed only to the file's owner (or CAP_FOWNER): drop it rather than fail.
            fd = Interop.Libc.Open(path, flags & ~Interop.Libc.O_NOATIME, (uint)options.CreateMode);
        }

        if (fd < 0)
        {
            throw OpenError(Marshal.GetLastPInvokeError(), path, options);
        }

        return new UringFile(RefuseDirectory(new SafeFileHandle(fd, ownsHandle: true), path), ownsHandle: true, path, options.Direct, options.OperationTimeout, ioClass: options.IoClass);
    }

    /// <summary>
    /// Opens <paramref name="path"/>: on a worker with io_uring through the ring (<c>IORING_OP_OPENAT</c>, run by the
    /// kernel's workers, so the worker thread never blocks in <c>open</c>); elsewhere as <see cref="Open"/> does.
    /// </summary>
    public static async ValueTask<UringFile> OpenAsync(string path, UringFileOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();
        UringWorker? worker = UringWorker.Current;
        if (worker is null || worker.Runtime.ActiveBackend != UringBackend.IoUring)
        {
            return Open(path, options);
        }

        options = options?.Clone() ?? new UringFileOptions();
        int flags = NativeFlags(options);
        int fd;
        try
        {
            fd = await OpenAtAsync(worker, path, flags, options, cancellationToken);
        }
        catch (UnauthorizedAccessException) when (options.NoAccessTime)
        {
            fd = await OpenAtAsync(worker, path, flags & ~Interop.Libc.O_NOATIME, options, cancellationToken);
        }

        return new UringFile(RefuseDirectory(new SafeFileHandle(fd, ownsHandle: true), path), ownsHandle: true, path, options.Direct, options.OperationTimeout, ioClass: options.IoClass);
    }

    // open(2) opens a directory read-only; File.OpenHandle refuses it after the open, with the exception it throws
    // for EACCES, and so does this.
    private static SafeFileHandle RefuseDirectory(SafeFileHandle handle, string path)
    {
        bool directory;
        try
        {
            directory = (File.GetAttributes(handle) & FileAttributes.Directory) != 0;
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        if (directory)
        {
            handle.Dispose();
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        }

        return handle;
    }

    private static async ValueTask<int> OpenAtAsync(UringWorker worker, string path, int flags, UringFileOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await OperationIssuer.Issue<OpenAtOperation, OpenAtRequest>(worker, OperationTarget.None, new OpenAtRequest(path, flags, (uint)options.CreateMode), cancellationToken)
                .AsValueTaskOfInt();
        }
        catch (IOException e) when (e.HResult > 0)
        {
            throw OpenError(e.HResult, path, options);
        }
        catch (UnauthorizedAccessException)
        {
            throw OpenError(Errno.EACCES, path, options);
        }
    }

    /// <summary>Wraps an open handle. With <paramref name="ownsHandle"/>, disposing the file disposes the handle.</summary>
    /// <param name="handle">An open file handle.</param>
    /// <param name="ownsHandle">Whether the file disposes the handle.</param>
    /// <param name="direct">Whether the handle was opened with O_DIRECT (enables the alignment checks).</param>
    /// <param name="operationTimeout">A default per-operation timeout, or null.</param>
    /// <param name="runtime">The runtime whose workers register the file; default: the current worker's, else the ambient one.</param>
    public static UringFile FromHandle(SafeFileHandle handle, bool ownsHandle = false, bool direct = false, TimeSpan? operationTimeout = null, UringRuntime? runtime = null)
    {
        UringRandomAccess.ValidateInput(handle, 0);
        return new UringFile(handle, ownsHandle, path: null, direct, operationTimeout, runtime);
    }

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="fileOffset"/>; returns the bytes read (0 at end of file).</summary>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        ReadAsync(buffer, fileOffset, OperationTimeout ?? Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Reads into <paramref name="buffer"/> from <paramref name="fileOffset"/>, failing with <see cref="TimeoutException"/>
    /// (the request cancelled in the kernel) if it takes longer than <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="ArgumentException">O_DIRECT file and a misaligned buffer address, length or offset (nothing submitted).</exception>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        UringRandomAccess.ValidateInput(_handle, fileOffset);
        ValidateTimeout(timeout);
        if (IsDirect)
        {
            DirectIo.Validate(Alignment, buffer, fileOffset);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return OperationIssuer.Issue<ReadOperation, ReadRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(this), new ReadRequest(buffer, fileOffset), cancellationToken, LinkTimeout(timeout))
            .AsValueTaskOfInt();
    }

    /// <summary>Writes all of <paramref name="buffer"/> at <paramref name="fileOffset"/>.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default) =>
        WriteAsync(buffer, fileOffset, OperationTimeout ?? Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Writes all of <paramref name="buffer"/> at <paramref name="fileOffset"/>, each kernel submission bounded by <paramref name="timeout"/>.</summary>
    /// <exception cref="ArgumentException">O_DIRECT file and a misaligned buffer address, length or offset (nothing submitted).</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, long fileOffset, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        UringRandomAccess.ValidateInput(_handle, fileOffset);
        ValidateTimeout(timeout);
        if (IsDirect)
        {
            DirectIo.Validate(Alignment, buffer, fileOffset);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        return OperationIssuer.Issue<WriteOperation, WriteRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(this), new WriteRequest(buffer, fileOffset), cancellationToken, LinkTimeout(timeout))
            .AsValueTask();
    }

    /// <summary>Flushes the file to its device: <c>fsync</c>, or <c>fdatasync</c> with <paramref name="dataOnly"/> (skips metadata not needed to read the data back).</summary>
    public ValueTask FlushAsync(bool dataOnly = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return OperationIssuer.Issue<SyncOperation, SyncRequest>(OperationIssuer.ResolveWorker(), new OperationTarget(this), new SyncRequest(dataOnly), cancellationToken)
            .AsValueTask();
    }

    /// <summary>
    /// What a request for this file on <paramref name="worker"/> holds: a lease on the worker's registered slot when it
    /// has one, else a reference on the handle.
    /// </summary>
    /// <remarks>
    /// A request on the slot takes no reference on the <see cref="SafeFileHandle"/>: the ring's file table holds the
    /// kernel's own reference to the file, and the slot is not given back while a request names it, so closing the
    /// descriptor meanwhile cannot reach the request. The handle's reference count is one cache line written by every
    /// worker that uses the file, which workers reading the same files would otherwise contend on.
    /// </remarks>
    internal FileClaim Claim(UringWorker worker)
    {
        FileSlot? slot = UsableSlot(worker);
        return slot is null ? FileClaim.Reference(_handle) : FileClaim.Lease(slot, _slotPath);
    }

    private FileSlot? UsableSlot(UringWorker worker)
    {
        if (!worker.IsCurrentThread || !ReferenceEquals(worker.Runtime, _runtime))
        {
            return null;
        }

        FileSlot? slot = _slots[worker.Id];
        if (slot is null)
        {
            // Requests on a slot carry no descriptor for an error message to be named by, so the name is taken now,
            // while the descriptor is certainly this file's (once per file: a race only writes the same value twice).
            _slotPath ??= IoErrors.PathOf(_fd);
            slot = _slots[worker.Id] = new FileSlot(worker, worker.Engine.TryRegisterFile(_fd));
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed while this call was on its way: Dispose may not have seen the new slot, so close it here. The
            // call then goes by descriptor, whose closed handle throws ObjectDisposedException.
            slot.Close();
        }

        return slot.IsUsable ? slot : null;
    }

    private static long LinkTimeout(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? 0 : Math.Max(1, timeout.Ticks * 100);

    private static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive, or Timeout.InfiniteTimeSpan.");
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(UringFile));
        }
    }

    /// <summary>Closes the file: its registered slots are released once the operations in flight on them have completed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CloseSlots(wait: false);
        }
    }

    /// <summary>Closes the file and waits until every worker has released its registered slot.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && CloseSlots(wait: true) is List<Task> pending)
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    // Each worker releases its own slot (registration belongs to the ring's owner thread); with wait, returns the
    // tasks that complete once the other workers have done so.
    private List<Task>? CloseSlots(bool wait)
    {
        List<Task>? pending = null;
        foreach (FileSlot? slot in _slots)
        {
            if (slot is null)
            {
                continue;
            }

            if (slot.Worker.IsCurrentThread)
            {
                slot.Close();
            }
            else if (slot.Worker.IsStopping)
            {
                // The ring is closing and takes its file table with it.
            }
            else if (wait)
            {
                (pending ??= []).Add(slot.Worker.RunAsync(() =>
                {
                    slot.Close();
                    return Task.CompletedTask;
                }));
            }
            else
            {
                slot.Worker.SynchronizationContext.Post(static s => ((FileSlot)s!).Close(), slot);
            }
        }

        if (_ownsHandle)
        {
            // Requests by descriptor hold a reference, so the descriptor really closes after the last of them. Requests
            // on a slot hold none: the file table keeps the file itself until their slot is released.
            _handle.Dispose();
        }

        return pending;
    }

    private static int NativeFlags(UringFileOptions options)
    {
        OpenFlags flags = options.Access switch
        {
            FileAccess.Read => OpenFlags.O_RDONLY,
            FileAccess.Write => OpenFlags.O_WRONLY,
            FileAccess.ReadWrite => OpenFlags.O_RDWR,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Access, "UringFileOptions.Access is not a FileAccess value."),
        };
        flags |= OpenFlags.O_CLOEXEC;
        flags |= options.Mode switch
        {
            FileMode.Open => 0,
            FileMode.Create => OpenFlags.O_CREAT | OpenFlags.O_TRUNC,
            FileMode.CreateNew => OpenFlags.O_CREAT | OpenFlags.O_EXCL,
            FileMode.OpenOrCreate => OpenFlags.O_CREAT,
            FileMode.Truncate => OpenFlags.O_TRUNC,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "UringFileOptions.Mode: Append is not supported (all I/O is positional)."),
        };
        if (options.Direct)
        {
            flags |= OpenFlags.O_DIRECT;
        }

        int native = NativeConvert.FromOpenFlags(flags);
        return options.NoAccessTime ? native | Interop.Libc.O_NOATIME : native;
    }

    private static Exception OpenError(int errno, string path, UringFileOptions options) => errno switch
    {
        Errno.ENOENT => new FileNotFoundException($"Could not find file '{path}'.", path),
        Errno.EACCES or Errno.EPERM or Errno.EISDIR => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
        Errno.EEXIST => new IOException($"The file '{path}' already exists.", errno),
        Errno.EINVAL when options.Direct => new NotSupportedException($"The file system holding '{path}' does not support O_DIRECT (open returned EINVAL)."),
        _ => new IOException($"{Errno.Message(errno)} : '{path}'", errno),
    };
}
