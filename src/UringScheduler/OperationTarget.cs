using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using UringScheduler.Files;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// The file a request addresses, as the public API knows it: a <see cref="SafeHandle"/> (by descriptor, holding a
/// reference on the handle), a <see cref="UringFile"/> (by its registered slot on the worker when it has one, else by
/// descriptor), or none.
/// </summary>
internal readonly struct OperationTarget
{
    private readonly SafeHandle? _handle;
    private readonly UringFile? _file;
    private readonly FileProfile? _profile;
    private readonly UringIoClass? _ioClass;

    /// <summary>A descriptor that is not a file on a block device (a socket, a pipe).</summary>
    public OperationTarget(SafeHandle handle)
    {
        _handle = handle;
    }

    /// <summary>A file by its handle, with what is known of it and the class of the request (null: foreground).</summary>
    public OperationTarget(SafeFileHandle handle, FileProfile profile, UringIoClass? ioClass)
    {
        _handle = handle;
        _profile = profile;
        _ioClass = ioClass;
    }

    public OperationTarget(UringFile file)
    {
        _file = file;
    }

    /// <summary>No file (a no-op, a delay, an open).</summary>
    public static OperationTarget None => default;

    /// <summary>
    /// Takes what a request on <paramref name="worker"/> holds on the file while it is in flight. A closed handle throws
    /// <see cref="ObjectDisposedException"/> here, before any operation is rented.
    /// </summary>
    public FileClaim Claim(UringWorker worker)
    {
        if (_file is not null)
        {
            return _file.Claim(worker);
        }

        return _handle is null ? default : FileClaim.Reference(_handle);
    }

    /// <summary>
    /// Tells the worker's I/O scheduler where <paramref name="op"/> goes: the block device behind the file, the
    /// request's class, and whether a read may first try the page cache (not on an O_DIRECT file).
    /// </summary>
    public void RouteTo(IoOperation op)
    {
        FileProfile? profile = _file?.Profile ?? _profile;
        DeviceWork work;
        if (profile?.Device is { } device && (work = op.DeviceWork) != DeviceWork.None)
        {
            op.Ticket.Device = device;
            op.Ticket.Read = work == DeviceWork.Read;
            op.Ticket.ClassId = (_file?.IoClass ?? _ioClass ?? UringIoClass.Foreground).Id;
            op.Ticket.Buffered = profile.DirectAlignment is null && !profile.NoWaitUnsupported;
            op.Ticket.File = profile;
        }
    }
}

/// <summary>What one request holds on its file: a reference on the handle, or a lease on a registered slot.</summary>
internal readonly struct FileClaim
{
    private readonly SafeHandle? _handle;
    private readonly FileSlot? _slot;
    private readonly string? _path;

    private FileClaim(SafeHandle? handle, FileSlot? slot, string? path)
    {
        _handle = handle;
        _slot = slot;
        _path = path;
    }

    /// <summary>Takes a reference on <paramref name="handle"/> (<c>DangerousAddRef</c>), so its descriptor stays open while the kernel uses it.</summary>
    public static FileClaim Reference(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        return new FileClaim(handle, null, null);
    }

    /// <summary>Takes a lease on a registered slot; <paramref name="path"/> names the file in error messages.</summary>
    public static FileClaim Lease(FileSlot slot, string? path)
    {
        slot.OnOperationStarted();
        return new FileClaim(null, slot, path);
    }

    /// <summary>Hands the claim over to <paramref name="op"/>, which gives it back once its completion has arrived.</summary>
    public void AddressTo(IoOperation op)
    {
        if (_slot is not null)
        {
            op.AddressFixedFile(_slot, _path);
        }
        else if (_handle is not null)
        {
            op.AddressHandle(_handle);
        }
    }

    /// <summary>Gives the claim back when no operation took it over.</summary>
    public void Release()
    {
        ((IFixedFileLease?)_slot)?.Release();
        _handle?.DangerousRelease();
    }
}
