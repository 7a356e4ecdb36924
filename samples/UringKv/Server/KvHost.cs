using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace UringKv.Server;

/// <summary>Builds the service's generic host: UringScheduler with one worker per shard, and the per-core service.</summary>
internal static class KvHost
{
    public static IHost Build(KvOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [], // the command line is the service's own (KvOptions), not configuration keys
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddUringScheduler(o =>
        {
            if (options.Workers > 0)
            {
                o.WorkerCount = options.Workers;
            }
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<KvServer>();
        builder.Services.AddPerCoreService<ShardService>();
        return builder.Build();
    }
}
