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
}
