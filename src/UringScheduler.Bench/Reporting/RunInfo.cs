using System.Runtime.InteropServices;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;

namespace UringScheduler.Bench.Reporting;

/// <summary>Where and how a run happened, for the report and the JSON: enough to tell two runs apart.</summary>
internal sealed record RunInfo
{
    public required DateTime StartedUtc { get; init; }

    public required string CommandLine { get; init; }

    public required int ProcessorCount { get; init; }

    public required string Kernel { get; init; }

    public required string Runtime { get; init; }

    public required string CpuModel { get; init; }

    public required BenchOptions Options { get; init; }

    public required bool DataGenerated { get; init; }

    /// <summary>The regimes the cases ran in, in order, with their results; filled while the run goes.</summary>
    public List<Running.Regime> Regimes { get; } = [];

    public string SettingsDescription =>
        $"I/O scheduler {(Options.IoScheduler ? "on" : "off")}, "
        + (Options.MemoryLimit is long limit ? $"memory limit {SizeParser.Format(limit)} (memory cgroup)" : "no memory limit");

    public static RunInfo Capture(BenchOptions options, DataSet dataSet, DateTime startedUtc) => new()
    {
        StartedUtc = startedUtc,
        CommandLine = "uring-bench" + string.Concat(options.Arguments.Select(a => " " + Quote(a))),
        ProcessorCount = Environment.ProcessorCount,
        Kernel = ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        Runtime = RuntimeInformation.FrameworkDescription,
        CpuModel = ReadCpuModel(),
        Options = options,
        DataGenerated = dataSet.Generated,
    };

    public string DataDescription =>
        $"{Options.Data.FileCount} × {SizeParser.Format(Options.Data.FileSize)} in {Options.Data.Directory}, block {Options.Data.BlockSize} B, "
        + $"{(Options.Direct ? "O_DIRECT" : "buffered")}, verify {(Options.Verify ? "on" : "off")}";

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_.,/=:+".Contains(c)) ? argument : $"'{argument}'";

    private static string? ReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string ReadCpuModel()
    {
        try
        {
            string? line = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                : null;
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
