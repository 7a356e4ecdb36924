using System.Globalization;
using UringScheduler.Bench.Cli;

namespace UringScheduler.Bench.Methods;

/// <summary>A case name as the seed writes it, <c>METHOD_CONCURRENCY</c> (e.g. <c>uring_32</c>), split and checked.</summary>
internal sealed record CaseSpec(string Name, string Method, int Concurrency)
{
    /// <summary>The most loops a case may run: far beyond any useful depth, and it bounds threads and memory.</summary>
    public const int MaxConcurrency = 65536;

    /// <summary>Parses a comma-separated list; throws <see cref="UsageException"/> on the first bad name.</summary>
    public static IReadOnlyList<CaseSpec> ParseList(string list)
    {
        List<CaseSpec> cases = [];
        foreach (string part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            cases.Add(Parse(part));
        }

        if (cases.Count == 0)
        {
            throw new UsageException("--cases: no case given (e.g. --cases uring_32,mmap_32)");
        }

        return cases;
    }

    public static CaseSpec Parse(string name)
    {
        int separator = name.LastIndexOf('_');
        string method = separator > 0 ? name[..separator].ToLowerInvariant() : string.Empty;
        if (separator <= 0
            || !MethodRegistry.IsKnown(method)
            || !int.TryParse(name.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int concurrency)
            || concurrency < 1
            || concurrency > MaxConcurrency)
        {
            throw new UsageException(
                $"--cases: unknown case '{name}' (expected METHOD_N with METHOD one of {string.Join(", ", MethodRegistry.Names)} and N from 1 to {MaxConcurrency}, e.g. uring_32)");
        }

        return new CaseSpec($"{method}_{concurrency}", method, concurrency);
    }
}
