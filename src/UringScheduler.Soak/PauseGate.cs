using System.Diagnostics;

namespace UringScheduler.Soak;

/// <summary>
/// Lets the controller stop every load loop between two steps (nothing of theirs in flight) to sample the process in
/// the same quiet state at the start and at the end of the measured stretch.
/// </summary>
internal sealed class PauseGate
{
    private TaskCompletionSource? _paused;
    private int _parked;
    private int _live;

    public int Live => Volatile.Read(ref _live);

    public void LoopStarted() => Interlocked.Increment(ref _live);

    public void LoopEnded() => Interlocked.Decrement(ref _live);

    /// <summary>Returns at once unless paused; then waits (asynchronously, on the caller's context) for the resume.</summary>
    public ValueTask WaitAsync()
    {
        TaskCompletionSource? paused = Volatile.Read(ref _paused);
        return paused is null ? default : ParkAsync(paused);
    }

    /// <summary>The same for a loop on a dedicated thread.</summary>
    public void Wait()
    {
        TaskCompletionSource? paused = Volatile.Read(ref _paused);
        if (paused is not null)
        {
            Interlocked.Increment(ref _parked);
            try
            {
                paused.Task.Wait();
            }
            finally
            {
                Interlocked.Decrement(ref _parked);
            }
        }
    }

    private async ValueTask ParkAsync(TaskCompletionSource paused)
    {
        Interlocked.Increment(ref _parked);
        try
        {
            await paused.Task;
        }
        finally
        {
            Interlocked.Decrement(ref _parked);
        }
    }

    /// <summary>Pauses and waits until every live loop is parked; false if some loop did not park within <paramref name="limit"/>.</summary>
    public async Task<bool> PauseAsync(TimeSpan limit)
    {
        Volatile.Write(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var stopwatch = Stopwatch.StartNew();
        while (Volatile.Read(ref _parked) < Live)
        {
            if (stopwatch.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    public int Parked => Volatile.Read(ref _parked);

    public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();
}
