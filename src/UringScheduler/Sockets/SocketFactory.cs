using System.Net;
using System.Net.Sockets;

namespace UringScheduler;

/// <summary>How the library makes and ends the <see cref="Socket"/>s whose descriptors its rings use.</summary>
internal static class SocketFactory
{
    /// <summary>
    /// A stream socket for <paramref name="endPoint"/>'s family. With io_uring it stays blocking: the ring waits for
    /// readiness itself. The fallback's sockets are non-blocking, so that its I/O threads never block where a cancel
    /// cannot reach them.
    /// </summary>
    public static Socket Create(EndPoint endPoint, UringBackend backend)
    {
        ProtocolType protocol = endPoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? ProtocolType.Tcp : ProtocolType.Unspecified;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, protocol);
        Configure(socket, backend);
        return socket;
    }

    public static void Configure(Socket socket, UringBackend backend)
    {
        if (backend == UringBackend.Fallback)
        {
            socket.Blocking = false;
        }
    }

    /// <summary>
    /// Ends every request pending on the socket (a shutdown wakes them; they then end as disposed), then disposes it. The
    /// descriptor closes once the last request in flight has released its reference to the handle.
    /// </summary>
    public static void ShutdownAndDispose(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not connected (a listener, or a connection the peer reset): nothing to shut down.
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    /// <summary>
    /// The socket's local or peer address as the kernel reports it (<c>getsockname</c>/<c>getpeername</c>), made into an
    /// end point of <paramref name="family"/>'s kind; null when there is none. A <see cref="Socket"/> made from a
    /// descriptor, or connected through the ring, does not know its addresses itself.
    /// </summary>
    public static unsafe EndPoint? ReadEndPoint(Socket socket, EndPoint family, bool peer)
    {
        var address = new SocketAddress(family.AddressFamily, SocketAddress.GetMaximumAddressSize(family.AddressFamily));
        uint length = (uint)address.Buffer.Length;
        bool added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* buffer = address.Buffer.Span)
            {
                int fd = (int)socket.SafeHandle.DangerousGetHandle();
                int rc = peer ? Native.Interop.Libc.GetPeerName(fd, buffer, &length) : Native.Interop.Libc.GetSockName(fd, buffer, &length);
                if (rc != 0)
                {
                    return null;
                }
            }
        }
        finally
        {
            socket.SafeHandle.DangerousRelease();
        }

        address.Size = (int)length;
        return family.Create(address);
    }
}
