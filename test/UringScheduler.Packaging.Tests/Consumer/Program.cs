// A consumer of the UringScheduler and UringScheduler.Hosting packages: a read on a worker, then a generic host with
// a per-core service. Built by the packaging tests in a fresh project, restored from a local folder feed.
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Win32.SafeHandles;
using UringScheduler;

const int BlockSize = 4096;
string path = Path.Combine(Path.GetTempPath(), $"uring-consumer-{Environment.ProcessId}.bin");
byte[] data = new byte[BlockSize * 2];
data.AsSpan(0, BlockSize).Fill(10);
data.AsSpan(BlockSize).Fill(11);
File.WriteAllBytes(path, data);
try
{
    await using (var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 2 }))
    {
        using SafeFileHandle file = File.OpenHandle(path);
        string line = await runtime.Workers[1].RunAsync(async () =>
        {
            byte[] buffer = new byte[BlockSize];
            int read = await UringRandomAccess.ReadAsync(file, buffer, BlockSize);
            return $"read {read} bytes of {buffer[0]} on worker {UringWorker.Current?.Id}";
        });
        Console.WriteLine($"{line}, backend {runtime.ActiveBackend}");
    }

    HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
    builder.Services.AddUringScheduler(options => options.WorkerCount = 2);
    builder.Services.AddSingleton(new ReadResults(path));
    builder.Services.AddPerCoreService<ReadOnce>();
    using IHost host = builder.Build();
    await host.StartAsync();
    ReadResults results = host.Services.GetRequiredService<ReadResults>();
    await results.AllDone.Task.WaitAsync(TimeSpan.FromSeconds(20));
    await host.StopAsync();
    foreach (KeyValuePair<int, string> result in results.Lines.OrderBy(r => r.Key))
    {
        Console.WriteLine($"per-core: {result.Value}");
    }

    Console.WriteLine("consumer: done");
    return 0;
}
finally
{
    File.Delete(path);
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
        bool stayed = UringWorker.Current == worker;
        results.Lines[worker.Id] = $"worker {worker.Id} read {read} bytes of {buffer[0]}, stayed on its worker: {stayed}";
        if (results.Lines.Count == worker.Runtime.Workers.Count)
        {
            results.AllDone.TrySetResult();
        }
    }
}
