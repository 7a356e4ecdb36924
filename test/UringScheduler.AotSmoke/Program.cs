// Runs under native AOT what a program built on UringScheduler does: starts a runtime (with console logging), reads
// a file on each worker with UringRandomAccess and UringFile, checks the bytes and where the code resumed, and stops;
// then the same reads from a per-core service in a generic host, configured from command-line configuration.
// Prints "aot: ok" and exits 0 when all went well.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using UringScheduler;

const int BlockSize = 4096;
Console.WriteLine($"dynamic code supported: {RuntimeFeature.IsDynamicCodeSupported}");

string path = Path.Combine(Path.GetTempPath(), $"uring-aot-{Environment.ProcessId}.bin");
byte[] data = new byte[BlockSize * 2];
data.AsSpan(0, BlockSize).Fill(1);
data.AsSpan(BlockSize).Fill(2);
File.WriteAllBytes(path, data);
int failures = 0;
try
{
    await PlainAsync();
    await HostedAsync();
}
finally
{
    File.Delete(path);
}

Console.WriteLine(failures == 0 ? "aot: ok" : $"aot: {failures} failure(s)");
return failures == 0 ? 0 : 1;

async Task PlainAsync()
{
    using ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
    await using var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 2 }, loggerFactory);
    using SafeFileHandle handle = File.OpenHandle(path);
    await using UringFile file = await runtime.Workers[0].RunAsync(() => UringFile.OpenAsync(path).AsTask());

    foreach (UringWorker worker in runtime.Workers)
    {
        string result = await worker.RunAsync(async () =>
        {
            byte[] buffer = new byte[BlockSize];
            int read = await UringRandomAccess.ReadAsync(handle, buffer, worker.Id * (long)BlockSize);
            byte first = buffer[0];
            bool stayed = UringWorker.Current == worker;
            int readFile = await file.ReadAsync(buffer, BlockSize);
            stayed &= UringWorker.Current == worker;
            return $"worker {worker.Id}: read {read} bytes of {first} then {readFile} bytes via UringFile, stayed on its worker: {stayed}";
        });
        Console.WriteLine(result);
        bool ok = result.Contains($"read 4096 bytes of {worker.Id + 1} then 4096 bytes", StringComparison.Ordinal) && result.EndsWith("True", StringComparison.Ordinal);
        failures += ok ? 0 : 1;
    }

    // Errors map to .NET exceptions with the errno's text (strerror through Mono.Posix).
    try
    {
        await runtime.RunAsync(async () => await UringFile.OpenAsync(path + ".missing"));
        failures++;
    }
    catch (IOException e)
    {
        Console.WriteLine($"missing file: {e.GetType().Name}: {e.Message}");
    }

    // An errno without a .NET exception of its own: an IOException with the strerror text (through Mono.Posix).
    try
    {
        await runtime.RunAsync(async () =>
        {
            await using UringFile directory = await UringFile.OpenAsync(Path.GetTempPath());
            await directory.ReadAsync(new byte[BlockSize], 0);
        });
        failures++;
    }
    catch (IOException e)
    {
        Console.WriteLine($"reading a directory: {e.GetType().Name} (HResult {e.HResult}): {e.Message}");
        failures += e.Message.Contains("directory", StringComparison.OrdinalIgnoreCase) ? 0 : 1;
    }

    Console.WriteLine($"backend {runtime.ActiveBackend}");
}

async Task HostedAsync()
{
    // The generic host: options bound from configuration (source-generated binder), one ReadOnce per worker.
    HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
    builder.Configuration.AddCommandLine(["--UringScheduler:WorkerCount", "2", "--UringScheduler:StallThreshold", "00:00:01"]);
    builder.Services.AddUringScheduler();
    builder.Services.AddSingleton(new ReadResults(path));
    builder.Services.AddPerCoreService<ReadOnce>();
    using IHost host = builder.Build();
    await host.StartAsync();
    ReadResults results = host.Services.GetRequiredService<ReadResults>();
    await results.AllDone.Task.WaitAsync(TimeSpan.FromSeconds(20));
    TimeSpan stallThreshold = host.Services.GetRequiredService<UringRuntime>().Options.StallThreshold;
    await host.StopAsync();
    foreach (KeyValuePair<int, string> line in results.Lines.OrderBy(l => l.Key))
    {
        Console.WriteLine($"per-core: {line.Value}");
        failures += line.Value.EndsWith($"of {line.Key + 1}, stayed on its worker: True", StringComparison.Ordinal) ? 0 : 1;
    }

    Console.WriteLine($"hosted: stall threshold {stallThreshold} from configuration");
    failures += stallThreshold == TimeSpan.FromSeconds(1) && results.Lines.Count == 2 ? 0 : 1;
}

internal sealed class ReadResults(string path)
{
    public string Path { get; } = path;

    public ConcurrentDictionary<int, string> Lines { get; } = new();

    public TaskCompletionSource AllDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

// One instance per worker: reads the block numbered after its worker, then returns.
internal sealed class ReadOnce(ReadResults results) : IPerCoreService
{
    public async Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken)
    {
        using SafeFileHandle file = File.OpenHandle(results.Path);
        byte[] buffer = new byte[4096];
        int read = await UringRandomAccess.ReadAsync(file, buffer, worker.Id * 4096L, stoppingToken);
        results.Lines[worker.Id] = $"worker {worker.Id} read {read} bytes of {buffer[0]}, stayed on its worker: {UringWorker.Current == worker}";
        if (results.Lines.Count == worker.Runtime.Workers.Count)
        {
            results.AllDone.TrySetResult();
        }
    }
}
