using UringScheduler.Native;

namespace UringScheduler.Operations;

/// <summary>
/// Maps an errno from a completion to the exception .NET's own file APIs throw for it (mirrors dotnet/runtime's
/// Interop.GetExceptionForIoErrno): <c>EBADF</c>, <c>EACCES</c> and <c>EPERM</c> give
/// <see cref="UnauthorizedAccessException"/>; <c>ECANCELED</c> <see cref="OperationCanceledException"/>; anything else an
/// <see cref="IOException"/> whose HResult is the errno and whose message is the strerror text.
/// </summary>
internal static class IoErrors
{
    /// <param name="errno">The error.</param>
    /// <param name="fd">The request's descriptor, whose path the message names; -1 when it went by registered slot.</param>
    /// <param name="knownPath">The path when the caller knows it already (a request on a registered slot has no descriptor).</param>
    public static Exception FromErrno(int errno, int fd, string? knownPath = null)
    {
        string? path = knownPath ?? PathOf(fd);
        switch (errno)
        {
            case Errno.EBADF:
            case Errno.EACCES:
            case Errno.EPERM:
                return path is null
                    ? new UnauthorizedAccessException("Access to the path is denied.")
                    : new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            case Errno.ECANCELED:
                return new OperationCanceledException();
            case Errno.EFBIG:
                return new ArgumentOutOfRangeException("value", "Specified file length was too large for the file system.");
            default:
                string message = path is null ? Errno.Message(errno) : $"{Errno.Message(errno)} : '{path}'";
                return new IOException(message, errno);
        }
    }

    /// <summary>Best effort, for cold paths only: the kernel's name for the descriptor.</summary>
    internal static string? PathOf(int fd)
    {
        if (fd < 0)
        {
            return null;
        }

        try
        {
            FileSystemInfo? target = new FileInfo($"/proc/self/fd/{fd}").ResolveLinkTarget(returnFinalTarget: false);
            return target?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
