namespace UringScheduler.Bench.Methods;

/// <summary>The methods a case can name, and how to set one up.</summary>
internal static class MethodRegistry
{
    private static readonly Dictionary<string, Func<CaseContext, IBenchMethod>> s_factories = new(StringComparer.Ordinal)
    {
        ["uring"] = context => new UringMethod(context),
        ["mmap"] = context => new MmapMethod(context),
        ["pread"] = context => new PreadMethod(context),
        ["randomaccess"] = context => new RandomAccessMethod(context),
        ["nop"] = context => new NopMethod(context),
        ["mixed"] = context => new MixedMethod(context),
    };

    public static IReadOnlyCollection<string> Names => s_factories.Keys;

    public static bool IsKnown(string method) => s_factories.ContainsKey(method);

    /// <summary>True for methods that run on a <see cref="UringRuntime"/> (and so use <c>--workers</c>).</summary>
    public static bool UsesRuntime(string method) => method is "uring" or "nop" or "mixed";

    public static IBenchMethod Create(string method, CaseContext context) => s_factories[method](context);
}
