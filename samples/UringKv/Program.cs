// UringKv: a thread-per-core key-value service on UringScheduler, spoken to over RESP (the Redis protocol).
//
//   ./build.sh kv [--bind ADDR] [--port N] [--dir PATH] [--workers N] [--durability always|everysec|no]
//
// Prints a line with "ready" and the port once it accepts connections; stops cleanly on SIGINT/SIGTERM.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UringKv.Server;

KvOptions options;
try
{
    options = KvOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"uringkv: {e.Message}");
    Console.Error.WriteLine("usage: UringKv [--bind ADDR] [--port N] [--dir PATH] [--workers N] [--durability always|everysec|no] [--segment-mb N] [--compaction-seconds N]");
    return 2;
}

using IHost host = KvHost.Build(options);
KvServer server;
try
{
    server = host.Services.GetRequiredService<KvServer>();
}
catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"uringkv: did not start: {e.Message}");
    return 1;
}

await host.RunAsync();
if (!server.Ready.IsCompletedSuccessfully)
{
    Console.Error.WriteLine($"uringkv: did not start: {server.Ready.Exception?.InnerException?.Message ?? "stopped before it was ready"}");
    return 1;
}

return 0;
