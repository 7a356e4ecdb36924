namespace UringScheduler.Rings;

/// <summary>
/// The rungs of the setup ladder, best first. Ring creation starts at the highest rung allowed and steps down while the
/// kernel answers <c>EINVAL</c> (a flag it does not know).
/// </summary>
internal enum RingSetupRung
{
    /// <summary><c>SINGLE_ISSUER | DEFER_TASKRUN</c> (Linux 6.1): completions are run only when the owner thread enters the ring, so nothing interrupts it.</summary>
    DeferTaskRun = 0,

    /// <summary><c>COOP_TASKRUN | TASKRUN_FLAG</c> (Linux 5.19): no inter-processor interrupts for completions; a flag says when to enter.</summary>
    CoopTaskRun = 1,

    /// <summary>No task-run flags: the kernel interrupts the thread to post completions.</summary>
    Plain = 2,
}
