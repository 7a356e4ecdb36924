using System.Net.Sockets;
using UringScheduler.Native;

namespace UringScheduler.Operations;

/// <summary>
/// Maps an errno from a socket request to the exception <see cref="Socket"/>'s async methods throw for it: a
/// <see cref="SocketException"/> whose <see cref="SocketException.SocketErrorCode"/> is what .NET gives on Linux.
/// </summary>
internal static class SocketErrors
{
    public static SocketException FromErrno(int errno) => new((int)ToSocketError(errno));

    public static SocketError ToSocketError(int errno) => errno switch
    {
        Errno.ECONNREFUSED => SocketError.ConnectionRefused,
        Errno.ECONNRESET => SocketError.ConnectionReset,
        Errno.ECONNABORTED => SocketError.ConnectionAborted,
        Errno.EPIPE or Errno.ESHUTDOWN => SocketError.Shutdown,
        Errno.ETIMEDOUT => SocketError.TimedOut,
        Errno.ENOTCONN => SocketError.NotConnected,
        Errno.EISCONN => SocketError.IsConnected,
        Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        Errno.EHOSTDOWN => SocketError.HostDown,
        Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Errno.ENETDOWN => SocketError.NetworkDown,
        Errno.EADDRINUSE => SocketError.AddressAlreadyInUse,
        Errno.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        Errno.EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        Errno.EPROTONOSUPPORT => SocketError.ProtocolNotSupported,
        Errno.EAGAIN => SocketError.WouldBlock,
        Errno.EINPROGRESS => SocketError.InProgress,
        Errno.EALREADY => SocketError.AlreadyInProgress,
        Errno.EMSGSIZE => SocketError.MessageSize,
        Errno.ENOBUFS or Errno.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Errno.EMFILE or Errno.ENFILE => SocketError.TooManyOpenSockets,
        Errno.ENOTSOCK => SocketError.NotSocket,
        Errno.EBADF => SocketError.OperationAborted,
        Errno.EACCES or Errno.EPERM => SocketError.AccessDenied,
        Errno.EINVAL => SocketError.InvalidArgument,
        Errno.EINTR => SocketError.Interrupted,
        Errno.ECANCELED => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    };
}
