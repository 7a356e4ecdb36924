namespace UringScheduler.Bench.Cli;

/// <summary>
/// A problem with what the user asked for (bad option value, unknown case, no room for the data, O_DIRECT refused):
/// reported as one line on stderr with exit code 2, never as a stack trace.
/// </summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UsageException()
    {
    }
}
