using System.Diagnostics;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


/// <summary>
/// A signal that interrupts a wait in io_uring_enter makes the kernel return EINTR (io_uring never restarts the call,
/// whatever SA_RESTART says); the ring must retry instead of passing it up.
/// </summary>
public unsafe partial class RingEintrTests
{
    [Test]
    public void WaitInterruptedBySignals_IsRetried_AndStillReturnsTheCompletion()
    {
        // The .NET runtime's own activation signal (SIGRTMIN) has a handler in every process and is harmless to a
        // thread blocked in native code, so it interrupts the wait without side effects.
        int signal = LibcCurrentSigRtMin();
        int pid = Environment.ProcessId;
        int tid = 0;
        int rc = int.MinValue;
        Cqe cqe = default;
        TimeSpan elapsed = default;
        using var ready = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            // The ring is created, entered and disposed on this thread only (SINGLE_ISSUER).
            using var ring = Ring.Create(8);
            tid = Interop.Libc.GetTid();
            KernelTimespec ts = KernelTimespec.FromNanoseconds(300_000_000);
            RingPrep.Timeout(ring.TryGetSqe(), &ts, count: 0, flags: 0, userData: 1);
            Assert.That(ring.Submit(), Is.EqualTo(1));
            ready.Set();
            var sw = Stopwatch.StartNew();
            rc = ring.SubmitAndWait(1);
            elapsed = sw.Elapsed;
            Span<Cqe> cqes = stackalloc Cqe[1];
            if (ring.Drain(cqes) == 1)
            {
                cqe = cqes[0];
            }
        });
        thread.Start();
        Assert.That(ready.Wait(TimeSpan.FromSeconds(5)));

        // Signal while the thread waits; a thread that stopped waiting early (the bug) has exited, so stop then.
        int delivered = 0;
        for (int i = 0; i < 5 && !thread.Join(30); i++)
        {
            if (TgKill(pid, tid, signal) == 0)
            {
                delivered++;
            }
        }

        Assert.That(thread.Join(TimeSpan.FromSeconds(5)), "the waiting thread finished");
        Assert.That(delivered, Is.GreaterThan(0), "at least one signal reached the waiting thread");
        Assert.That(rc, Is.Zero, "EINTR is retried, not returned");
        Assert.That(cqe.UserData, Is.EqualTo(1UL));
        Assert.That(cqe.Res, Is.EqualTo(-Errno.ETIME));
        Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)), "the wait went on after the signals");
    }

    [LibraryImport("libc", EntryPoint = "__libc_current_sigrtmin")]
    private static partial int LibcCurrentSigRtMin();

    [LibraryImport("libc", EntryPoint = "tgkill", SetLastError = true)]
    private static partial int TgKill(int tgid, int tid, int sig);
}
