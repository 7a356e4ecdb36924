namespace UringScheduler.Ring;

/// <summary>
/// How a ring is created in submission-polling mode (<c>IORING_SETUP_SQPOLL</c>): a kernel thread consumes the SQ,
/// so publishing the tail submits without a system call while that thread is awake.
/// </summary>
/// <param name="IdleMilliseconds">How long the kernel thread keeps polling an empty SQ before it sleeps (<c>sq_thread_idle</c>).</param>
/// <param name="Cpu">The CPU the kernel thread is pinned to (<c>IORING_SETUP_SQ_AFF</c>), or -1 to let the scheduler place it.</param>
/// <param name="AttachToRingFd">
/// A ring whose polling thread this one shares (<c>IORING_SETUP_ATTACH_WQ</c>), or -1 for a thread of its own.
/// </param>
internal readonly record struct SqPollSetup(uint IdleMilliseconds, int Cpu, int AttachToRingFd);
