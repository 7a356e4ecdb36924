namespace UringScheduler;

/// <summary>
/// io_uring cannot be used on this machine: the message says why (kernel too old, blocked by seccomp or
/// <c>kernel.io_uring_disabled</c>, memlock limit, unsupported setup flag) and what to do about it.
/// </summary>
public sealed class UringUnavailableException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public UringUnavailableException()
        : base("io_uring is not available on this machine.")
    {
    }

    /// <summary>Creates the exception with a message that names the cause.</summary>
    public UringUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    public UringUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a message and the errno that io_uring_setup returned.</summary>
    internal UringUnavailableException(string message, int errno)
        : base(message)
    {
        Errno = errno;
        HResult = errno;
    }

    /// <summary>The errno returned by the failing system call, or 0 when the cause was found otherwise.</summary>
    public int Errno { get; }
}
