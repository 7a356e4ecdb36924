using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using UringScheduler.Operations;
using Libc = UringScheduler.Native.Interop.Libc;

namespace UringScheduler;

/// <summary>
/// Makes and ends the sockets whose descriptors the rings use, with plain system calls: the library owns each
/// descriptor through a <see cref="SocketHandle"/>. With io_uring a socket stays blocking (the ring waits for readiness
/// itself); the fallback's sockets are non-blocking, so that nothing ever blocks where a cancel cannot reach it.
/// </summary>
internal static unsafe class SocketFactory
{
    /// <summary>A new stream socket for <paramref name="endPoint"/>'s address family.</summary>
    /// <exception cref="SocketException">The kernel refused (family not supported, too many descriptors...).</exception>
    public static SocketHandle Create(EndPoint endPoint, UringBackend backend)
    {
        int protocol = endPoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? (int)ProtocolType.Tcp : 0;
        int type = Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC | (backend == UringBackend.Fallback ? Libc.O_NONBLOCK : 0);
        int fd = Libc.Socket(NativeFamily(endPoint.AddressFamily), type, protocol);
        if (fd < 0)
        {
            throw SocketErrors.FromErrno(Marshal.GetLastPInvokeError());
        }

        return new SocketHandle(fd);
    }

    // AddressFamily's values are Windows' (InterNetworkV6 is 23); Linux's AF_INET6 is 10.
    private static int NativeFamily(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => 2,
        AddressFamily.InterNetworkV6 => 10,
        AddressFamily.Unix => 1,
        _ => throw new SocketException((int)SocketError.AddressFamilyNotSupported),
    };

    /// <summary>Takes the descriptor of <paramref name="socket"/> away from it: from now on the library owns it.</summary>
    public static SocketHandle TakeOver(Socket socket, UringBackend backend)
    {
        var handle = new SocketHandle((int)socket.SafeHandle.DangerousGetHandle());
        socket.SafeHandle.SetHandleAsInvalid();
        SetNonBlocking(handle.Fd, backend == UringBackend.Fallback);
        return handle;
    }

    /// <summary>Sets or clears <c>O_NONBLOCK</c> on <paramref name="fd"/>.</summary>
    public static void SetNonBlocking(int fd, bool nonBlocking)
    {
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        if (flags >= 0)
        {
            _ = Libc.Fcntl(fd, Libc.F_SETFL, nonBlocking ? flags | Libc.O_NONBLOCK : flags & ~Libc.O_NONBLOCK);
        }
    }

    /// <summary>Binds and listens.</summary>
    /// <exception cref="SocketException">The address is in use, or cannot be bound.</exception>
    public static void BindAndListen(SocketHandle socket, EndPoint endPoint, int backlog, bool reusePort = false)
    {
        int one = 1;
        if (endPoint is IPEndPoint)
        {
            // As .NET servers do: a restarted server can bind while connections of its previous run are in TIME_WAIT.
            _ = Libc.SetSockOpt(socket.Fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, &one, sizeof(int));
        }

        if (reusePort && Libc.SetSockOpt(socket.Fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, &one, sizeof(int)) != 0)
        {
            throw SocketErrors.FromErrno(Marshal.GetLastPInvokeError());
        }

        SocketAddress address = endPoint.Serialize();
        fixed (byte* buffer = address.Buffer.Span)
        {
            if (Libc.Bind(socket.Fd, buffer, (uint)address.Size) != 0 || Libc.Listen(socket.Fd, backlog) != 0)
            {
                throw SocketErrors.FromErrno(Marshal.GetLastPInvokeError());
            }
        }
    }

    /// <summary>Sets <c>TCP_NODELAY</c>; false when the socket has no such option (a Unix domain socket).</summary>
    public static bool SetNoDelay(SocketHandle socket, bool value)
    {
        using HandleReference reference = new(socket);
        int flag = value ? 1 : 0;
        return reference.Held && Libc.SetSockOpt(socket.Fd, Libc.SOL_TCP, Libc.TCP_NODELAY, &flag, sizeof(int)) == 0;
    }

    /// <summary>Reads <c>TCP_NODELAY</c>; false where the socket has no such option.</summary>
    public static bool GetNoDelay(SocketHandle socket)
    {
        using HandleReference reference = new(socket);
        int flag = 0;
        uint length = sizeof(int);
        return reference.Held && Libc.GetSockOpt(socket.Fd, Libc.SOL_TCP, Libc.TCP_NODELAY, &flag, &length) == 0 && flag != 0;
    }

    /// <summary>
    /// Ends every request pending on the socket (a shutdown wakes them; they then end as disposed), then disposes the
    /// handle: the descriptor closes once the last request in flight has released it.
    /// </summary>
    public static void ShutdownAndDispose(SocketHandle socket)
    {
        // Not connected (a listener, or a connection the peer reset) answers ENOTCONN: nothing to shut down then.
        _ = Shutdown(socket, SocketShutdown.Both);
        socket.Dispose();
    }

    /// <summary><c>shutdown(2)</c>; 0 or the errno. SHUT_RD, SHUT_WR and SHUT_RDWR are 0, 1 and 2, as <see cref="SocketShutdown"/>'s values.</summary>
    public static int Shutdown(SocketHandle socket, SocketShutdown how)
    {
        using HandleReference reference = new(socket);
        if (!reference.Held)
        {
            return Native.Errno.EBADF;
        }

        return Libc.Shutdown(socket.Fd, (int)how) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// The socket's local or peer address as the kernel reports it (<c>getsockname</c>/<c>getpeername</c>), made into an
    /// end point of <paramref name="family"/>'s kind; null when there is none.
    /// </summary>
    public static EndPoint? ReadEndPoint(SocketHandle socket, EndPoint family, bool peer)
    {
        var address = new SocketAddress(family.AddressFamily, SocketAddress.GetMaximumAddressSize(family.AddressFamily));
        uint length = (uint)address.Buffer.Length;
        using (HandleReference reference = new(socket))
        {
            fixed (byte* buffer = address.Buffer.Span)
            {
                if (!reference.Held || (peer ? Libc.GetPeerName(socket.Fd, buffer, &length) : Libc.GetSockName(socket.Fd, buffer, &length)) != 0)
                {
                    return null;
                }
            }
        }

        address.Size = (int)length;
        return family.Create(address);
    }

    // A reference on the handle for the length of one call, so that a concurrent dispose cannot close the descriptor
    // under it; not held when the handle is already closed.
    private ref struct HandleReference
    {
        private readonly SocketHandle _handle;

        public HandleReference(SocketHandle handle)
        {
            _handle = handle;
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
            }

            Held = added;
        }

        public bool Held { get; }

        public void Dispose()
        {
            if (Held)
            {
                _handle.DangerousRelease();
            }
        }
    }
}
