using UringScheduler.Native;

namespace UringScheduler.Rings;

/// <summary>Turns a failed <c>io_uring_setup</c> or ring mmap into an exception that names the likely cause and the fix.</summary>
internal static class RingSetupErrors
{
    public static UringUnavailableException ForSetupFailure(int errno, uint flags, string kernelRelease)
    {
        string cause = errno switch
        {
            Errno.ENOSYS =>
                $"io_uring_setup is not implemented (Linux {kernelRelease}): the kernel is older than 5.1, was built without CONFIG_IO_URING, " +
                "or a seccomp filter answers ENOSYS for it. io_uring needs Linux 5.6 or newer (6.1+ recommended).",
            Errno.EPERM =>
                $"io_uring_setup was denied (EPERM). {DisabledSysctlText()}Docker's default seccomp profile blocks io_uring since " +
                "Docker 25: run the container with a profile that allows io_uring_setup, io_uring_enter and io_uring_register.",
            Errno.ENOMEM =>
                $"io_uring_setup could not allocate ring memory (ENOMEM). Before Linux 5.12 rings count against RLIMIT_MEMLOCK " +
                $"(now {ProcessLimits.MemlockText()}); raise it (ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock= in Docker) or use fewer/smaller rings.",
            Errno.EINVAL =>
                $"io_uring_setup rejected the setup flags {RingFeatures.FormatSetupFlags(flags)} (EINVAL) on Linux {kernelRelease}: the kernel is too old for them.",
            Errno.EMFILE or Errno.ENFILE =>
                $"io_uring_setup found no free file descriptor ({Errno.Name(errno)}): raise the open-file limit (ulimit -n).",
            _ => $"io_uring_setup failed: {Errno.Describe(errno)}.",
        };
        return new UringUnavailableException(cause, errno);
    }

    public static UringUnavailableException ForMmapFailure(int errno, nuint size) =>
        new($"Mapping an io_uring ring ({size} bytes) failed: {Errno.Describe(errno)}. " +
            $"Check RLIMIT_MEMLOCK (now {ProcessLimits.MemlockText()}) and the memory cgroup limit.", errno);

    internal static string DisabledSysctlText()
    {
        try
        {
            string value = File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim();
            return value switch
            {
                "2" => "The sysctl kernel.io_uring_disabled is 2 (io_uring disabled for all processes); set it to 0. ",
                "1" => "The sysctl kernel.io_uring_disabled is 1 (only members of kernel.io_uring_group may use io_uring); add this process's user to that group or set it to 0. ",
                _ => $"The sysctl kernel.io_uring_disabled is {value}, so the denial comes from elsewhere, most likely a seccomp filter. ",
            };
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

}
