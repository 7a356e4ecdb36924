namespace UringScheduler.Native;

/// <summary>The process's resource limits as the kernel reports them in <c>/proc/self/limits</c> (cold paths only).</summary>
internal static class ProcessLimits
{
    /// <summary>The soft and hard values of the limit named <paramref name="name"/> ("Max open files"), or null when unknown.</summary>
    public static (string Soft, string Hard)? Read(string name)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    // "Max open files            1024                 1048576              files"
                    string[] parts = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return parts.Length >= 2 ? (parts[0], parts[1]) : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>The soft limit on open descriptors (RLIMIT_NOFILE); 1024 when it cannot be read.</summary>
    public static long OpenFiles() =>
        Read("Max open files") is (string soft, _)
            ? soft == "unlimited" ? int.MaxValue : long.Parse(soft, System.Globalization.CultureInfo.InvariantCulture)
            : 1024;

    /// <summary>RLIMIT_MEMLOCK in words, for error messages.</summary>
    public static string MemlockText() =>
        Read("Max locked memory") is (string soft, string hard) ? $"soft {soft}, hard {hard} bytes" : "unknown";
}
