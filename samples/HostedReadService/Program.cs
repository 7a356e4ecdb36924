// HostedReadService: a generic host with UringScheduler and a per-core service that reads its own file on each worker.
//
//   dotnet run -c Release --project samples/HostedReadService [-- --seconds N]
//
// Stop it with Ctrl-C or SIGTERM; --seconds N stops it after N seconds (smoke tests). The UringScheduler section of
// appsettings.json configures the runtime; the ReadService section the reads.
using HostedReadService;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory, // find appsettings.json beside the dll, wherever it is started from
});

builder.Services.AddUringScheduler();
builder.Services.AddPerCoreService<ReadService>();
builder.Services.Configure<ReadServiceOptions>(builder.Configuration.GetSection("ReadService"));
builder.Services.AddSingleton<DataDirectory>();
builder.Services.AddSingleton<ReadStatistics>();
builder.Services.AddHostedService<ThroughputReporter>();

// "--seconds N" arrives through the command-line configuration source as the key "seconds".
if (builder.Configuration.GetValue<int?>("seconds") is int seconds)
{
    builder.Services.AddHostedService(sp => new StopAfter(TimeSpan.FromSeconds(seconds), sp.GetRequiredService<IHostApplicationLifetime>()));
}

await builder.Build().RunAsync();
