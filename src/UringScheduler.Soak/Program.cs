using System.Runtime.InteropServices;
using UringScheduler.Soak;

// uring-soak: every kind of operation at once on every worker for a duration, every outcome checked; the last line
// is the verdict. Exit code 0: nothing lost or wrong; 1: mismatches, unexpected errors or growth beyond the
// tolerances; 2: bad arguments or io_uring unavailable when asked for; 130: interrupted.
SoakOptions? options = SoakOptions.Parse(args, out string? error);
if (options is null)
{
    if (!string.IsNullOrEmpty(error))
    {
        Console.Error.WriteLine($"uring-soak: {error}");
    }

    Console.Error.WriteLine(SoakOptions.Usage);
    return string.IsNullOrEmpty(error) ? 0 : 2;
}

using var interrupt = new CancellationTokenSource();
ConsoleCancelEventHandler onCancel = (_, e) =>
{
    // The first Ctrl-C stops the run (the data folder is removed on the way out); a second one ends the process.
    if (!interrupt.IsCancellationRequested)
    {
        e.Cancel = true;
        interrupt.Cancel();
    }
};
Console.CancelKeyPress += onCancel;
using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});

TextWriter output = Console.Out;
SoakResult result = await new SoakRun(options, output).RunAsync(interrupt.Token);
if (result.StartError is not null)
{
    Console.Error.WriteLine($"uring-soak: {result.StartError}");
    return 2;
}

bool passed = result.Judge();
foreach (Tally tally in result.Tallies)
{
    output.WriteLine($"  {tally.Name,-36} {tally.Operations,12:N0} operations {tally.Mismatches,4} mismatches {tally.Unexpected,4} unexpected");
}

foreach ((string name, long count) in result.Outcomes)
{
    output.WriteLine($"  outcome {name,-58} {count,10:N0}");
}

foreach (string failure in result.Failures)
{
    output.WriteLine($"FAILED: {failure}");
}

output.WriteLine($"tolerances: fds +{SoakRun.DescriptorTolerance}, rss +max({SoakRun.RssToleranceMiB} MiB, {SoakRun.RssToleranceFraction:P0}) (limit {result.RssLimitMiB:F1} MiB); {(passed ? "passed" : "FAILED")}");
if (options.JsonPath is not null)
{
    result.WriteJson(options.JsonPath, passed);
}

output.WriteLine(result.SummaryLine());
return !passed ? 1 : result.Interrupted ? 130 : 0;
