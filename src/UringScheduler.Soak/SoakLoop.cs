using System.Diagnostics;

namespace UringScheduler.Soak;

/// <summary>
/// One load loop: a step is a few operations of one kind whose outcomes it checks. Worker loops run on their worker
/// (and check that every step ends there); foreign loops run off the runtime.
/// </summary>
internal abstract class SoakLoop(SoakContext context, UringWorker? worker)
{
    protected SoakContext Context { get; } = context;

    protected UringWorker? Worker { get; } = worker;

    protected Random Random { get; } = new(context.NextSeed());

    protected Findings Findings => Context.Findings;

    protected DataSet Data => Context.Data;

    /// <summary>"foreign." for loops off the runtime, so their kinds are counted apart.</summary>
    protected string Prefix => Worker is null ? "foreign." : "";

    /// <summary>The kind the current step counts under (unexpected errors are charged to it).</summary>
    public string Kind { get; protected set; } = "";

    /// <summary>When the step in progress started (Stopwatch timestamp), 0 between steps.</summary>
    public long StepStarted { get; set; }

    /// <summary>Runs once on the loop's thread before the first step.</summary>
    public virtual ValueTask StartAsync() => default;

    public abstract Task StepAsync();

    /// <summary>Runs once on the loop's thread after the last step.</summary>
    public virtual ValueTask StopAsync() => default;

    protected void Count(int operations = 1) => Findings[Kind].Count(operations);

    protected void Outcome(string outcome) => Findings.Outcome(Kind, outcome);

    protected void Mismatch(string detail) => Findings.Mismatch(Kind, detail);

    /// <summary>Checks a read's count and bytes against the pattern; true when both are right.</summary>
    protected bool CheckRead(string what, long got, long expected, ReadOnlySpan<byte> data, ulong key, long offset)
    {
        if (got != expected)
        {
            Mismatch($"{what}: {got} bytes, expected {expected}");
            return false;
        }

        int bad = Pattern.FirstMismatch(data, key, offset);
        if (bad >= 0)
        {
            Mismatch($"{what}: byte {bad} (offset {offset + bad}) is 0x{data[bad]:X2}, expected 0x{Pattern.At(key, offset + bad):X2}");
            return false;
        }

        return true;
    }

    /// <summary>Checks that the code resumed on the loop's worker (or, off the runtime, on no worker).</summary>
    protected void CheckThread(string where)
    {
        UringWorker? current = UringWorker.Current;
        if (!ReferenceEquals(current, Worker))
        {
            Mismatch($"{where}: resumed on {current?.ToString() ?? "a thread of no worker"}, expected {Worker?.ToString() ?? "a thread of no worker"}");
        }
    }

    protected int NextFile() => Random.Next(DataSet.FileCount);

    /// <summary>A read offset anywhere in a data file or up to 8 KiB past its end (short and empty reads included).</summary>
    protected long AnyOffset() => Random.NextInt64(DataSet.FileSize + 8192);

    /// <summary>An offset that is a multiple of <paramref name="alignment"/>, up to and including the end of the file.</summary>
    protected long AlignedOffset(int alignment) => Random.NextInt64((DataSet.FileSize / alignment) + 1) * alignment;

    protected static long Now() => Stopwatch.GetTimestamp();

    protected static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);

    /// <summary>Awaits <paramref name="operation"/> and says whether it was cancelled, rethrowing anything else.</summary>
    protected static async ValueTask<(bool Cancelled, T Result)> CatchCancel<T>(ValueTask<T> operation)
    {
        try
        {
            return (false, await operation);
        }
        catch (OperationCanceledException)
        {
            return (true, default!);
        }
    }

    protected static async ValueTask<bool> CatchCancel(ValueTask operation)
    {
        try
        {
            await operation;
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
