using UringScheduler.Diagnostics;
using UringScheduler.Operations;

namespace UringScheduler;

// What the stall detector reads: when the current loop turn started (0 while the worker sleeps in the kernel or has
// not started), the last work item the worker started in it, and which turn was counted as a stall. The worker writes
// them with plain stores; the runtime's StallWatchdog reads them from its own thread, racily, for reports only.
public sealed partial class UringWorker
{
    private readonly StallWatchdog? _watchdog;
    private long _turnStart;
    private long _countedStallTurn;
    private object? _runningCallback;
    private object? _runningState;

    /// <summary>When the current loop turn started (<see cref="Environment.TickCount64"/>), or 0 while the worker is idle.</summary>
    internal long TurnStart => Volatile.Read(ref _turnStart);

    /// <summary>Counts the turn that started at <paramref name="turnStart"/> as a stall, unless it was counted already.</summary>
    internal bool TryCountStall(long turnStart)
    {
        long counted = Volatile.Read(ref _countedStallTurn);
        if (counted == turnStart || Interlocked.CompareExchange(ref _countedStallTurn, turnStart, counted) != counted)
        {
            return false;
        }

        Interlocked.Increment(ref _stalls);
        return true;
    }

    /// <summary>The last work item started in the current turn, in words (cold: for stall reports).</summary>
    internal string DescribeRunningWork() => WorkDescription.Describe(Volatile.Read(ref _runningCallback), Volatile.Read(ref _runningState));

    private void MarkIdle() => Volatile.Write(ref _turnStart, 0);

    /// <summary>After a sleep: busy again, and the watchdog, if it parked while every worker slept, is woken.</summary>
    private void MarkAwake()
    {
        if (_watchdog is not null)
        {
            Volatile.Write(ref _turnStart, Environment.TickCount64);
            Interlocked.MemoryBarrier();
            _watchdog.OnWorkerWoke();
        }
    }

    /// <summary>The end of a turn longer than the threshold: counted unless the watchdog counted it while it lasted, and logged.</summary>
    private void OnLongTurn(long turnStart, long elapsed)
    {
        TryCountStall(turnStart);
        Log.LoopStall(_logger, Id, elapsed, _stallMilliseconds);
    }
}
