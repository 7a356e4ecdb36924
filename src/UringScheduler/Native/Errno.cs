using Mono.Unix;
using Mono.Unix.Native;

namespace UringScheduler.Native;

/// <summary>errno values the library reacts to, and their text.</summary>
internal static class Errno
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int ENXIO = 6;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int ENOMEM = 12;
    internal const int EACCES = 13;
    internal const int EFAULT = 14;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int EISDIR = 21;
    internal const int EINVAL = 22;
    internal const int ENFILE = 23;
    internal const int EMFILE = 24;
    internal const int EFBIG = 27;
    internal const int ESPIPE = 29;
    internal const int EPIPE = 32;
    internal const int EROFS = 30;
    internal const int ENOSYS = 38;
    internal const int ETIME = 62;
    internal const int EOPNOTSUPP = 95;
    internal const int ENOTSOCK = 88;
    internal const int EMSGSIZE = 90;
    internal const int EPROTONOSUPPORT = 93;
    internal const int EAFNOSUPPORT = 97;
    internal const int EADDRINUSE = 98;
    internal const int EADDRNOTAVAIL = 99;
    internal const int ENETDOWN = 100;
    internal const int ENETUNREACH = 101;
    internal const int ECONNABORTED = 103;
    internal const int ECONNRESET = 104;
    internal const int ENOBUFS = 105;
    internal const int EISCONN = 106;
    internal const int ENOTCONN = 107;
    internal const int ESHUTDOWN = 108;
    internal const int ETIMEDOUT = 110;
    internal const int ECONNREFUSED = 111;
    internal const int EHOSTDOWN = 112;
    internal const int EHOSTUNREACH = 113;
    internal const int EALREADY = 114;
    internal const int EINPROGRESS = 115;
    internal const int ECANCELED = 125;

    /// <summary>The C library's <c>strerror</c> text for <paramref name="errno"/> (positive).</summary>
    internal static string Message(int errno)
    {
        try
        {
            return UnixMarshal.GetErrorDescription(NativeConvert.ToErrno(errno));
        }
        catch (ArgumentOutOfRangeException)
        {
            return $"Unknown error {errno}";
        }
    }

    /// <summary>The symbolic name of <paramref name="errno"/> (for example <c>ENOSYS</c>), or its number.</summary>
    internal static string Name(int errno)
    {
        try
        {
            return NativeConvert.ToErrno(errno).ToString();
        }
        catch (ArgumentOutOfRangeException)
        {
            return errno.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary><c>NAME (text)</c>, for messages.</summary>
    internal static string Describe(int errno) => $"{Name(errno)} ({Message(errno)})";
}
