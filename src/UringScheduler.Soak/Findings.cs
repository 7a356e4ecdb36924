using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace UringScheduler.Soak;

/// <summary>What one kind of operation did: completed operations, wrong outcomes and exceptions of an unexpected type.</summary>
internal sealed class Tally(string name)
{
    private long _operations;
    private long _mismatches;
    private long _unexpected;

    public string Name { get; } = name;

    public long Operations => Volatile.Read(ref _operations);

    public long Mismatches => Volatile.Read(ref _mismatches);

    public long Unexpected => Volatile.Read(ref _unexpected);

    public void Count(int operations = 1) => Interlocked.Add(ref _operations, operations);

    public void AddMismatch() => Interlocked.Increment(ref _mismatches);

    public void AddUnexpected() => Interlocked.Increment(ref _unexpected);
}

/// <summary>The run's tallies by kind, and the first few problems in words (printed as they happen).</summary>
internal sealed class Findings(TextWriter log, TimeProvider time)
{
    private const int DetailsShown = 25;
    private readonly ConcurrentDictionary<string, Tally> _tallies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _outcomes = new(StringComparer.Ordinal);
    private readonly long _start = time.GetTimestamp();
    private int _shown;

    public Tally this[string name] => _tallies.GetOrAdd(name, static n => new Tally(n));

    public IEnumerable<Tally> Tallies => _tallies.Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    /// <summary>How often each legal branch of a racing check was taken ("kind: outcome"), to show that the races happen.</summary>
    public IEnumerable<KeyValuePair<string, long>> Outcomes =>
        _outcomes.Select(o => KeyValuePair.Create(o.Key, Volatile.Read(ref o.Value.Value))).OrderBy(o => o.Key, StringComparer.Ordinal);

    public void Outcome(string kind, string outcome) =>
        Interlocked.Increment(ref _outcomes.GetOrAdd($"{kind}: {outcome}", static _ => new StrongBox<long>()).Value);

    public long Operations => _tallies.Values.Sum(t => t.Operations);

    public long Mismatches => _tallies.Values.Sum(t => t.Mismatches);

    public long Unexpected => _tallies.Values.Sum(t => t.Unexpected);

    public void Mismatch(string kind, string detail)
    {
        this[kind].AddMismatch();
        Show($"MISMATCH {kind}: {detail}");
    }

    public void UnexpectedError(string kind, Exception error, string? context = null)
    {
        this[kind].AddUnexpected();
        Show($"UNEXPECTED {kind}{(context is null ? "" : $" ({context})")}: {error}");
    }

    private void Show(string text)
    {
        int shown = Interlocked.Increment(ref _shown);
        if (shown <= DetailsShown)
        {
            double seconds = time.GetElapsedTime(_start).TotalSeconds;
            lock (log)
            {
                log.WriteLine($"[{seconds,7:F1}s] {text}");
                if (shown == DetailsShown)
                {
                    log.WriteLine($"(further problems are counted, not shown)");
                }
            }
        }
    }
}
