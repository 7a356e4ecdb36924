using System.Runtime.InteropServices;

namespace UringScheduler;

/// <summary>
/// The descriptor of a socket the library owns. Requests in flight hold a reference on it, so disposing it while they
/// run only marks it closed: the descriptor is closed when the last of them releases it, never under the kernel, and
/// disposing never waits for them (a <see cref="System.Net.Sockets.Socket"/> would, on the very worker thread that
/// must reap their completions).
/// </summary>
internal sealed class SocketHandle : SafeHandle
{
    public SocketHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>The descriptor; only while the caller holds a reference or knows the handle is open.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Native.Interop.Libc.Close((int)handle) == 0;
}
