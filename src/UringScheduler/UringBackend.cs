namespace UringScheduler;

/// <summary>Selects how a <see cref="UringRuntime"/> performs I/O.</summary>
public enum UringBackend
{
    /// <summary>io_uring where the kernel allows it; otherwise the fallback, with one logged warning that names the cause.</summary>
    Auto,

    /// <summary>io_uring only. Creating the runtime throws <see cref="UringUnavailableException"/> where it cannot be used.</summary>
    IoUring,

    /// <summary>
    /// Blocking system calls on runtime-owned I/O threads that post completions back to the workers. The threading
    /// contract (workers, contexts, schedulers, no .NET ThreadPool) is the same as with io_uring.
    /// </summary>
    Fallback,
}
