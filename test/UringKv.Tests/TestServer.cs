using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UringKv.Server;
using UringKv.Storage;

namespace UringKv.Tests;

/// <summary>A UringKv server in this process, on 127.0.0.1 and a free port, over a data folder of its own.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly IHost _host;

    private TestServer(IHost host, KvServer server, IPEndPoint endPoint, string directory)
    {
        _host = host;
        Server = server;
        EndPoint = endPoint;
        Directory = directory;
    }

    public KvServer Server { get; }

    public IPEndPoint EndPoint { get; }

    public string Directory { get; }

    public int Port => EndPoint.Port;

    public static async Task<TestServer> StartAsync(string directory, int workers = 2, Durability durability = Durability.Always, long segmentSize = 64L * 1024 * 1024, TimeSpan? compactionInterval = null)
    {
        var options = new KvOptions
        {
            Bind = "127.0.0.1",
            Port = 0,
            Directory = directory,
            Workers = workers,
            Durability = durability,
            SegmentSize = segmentSize,
            CompactionInterval = compactionInterval ?? TimeSpan.Zero,
        };
        IHost host = KvHost.Build(options, logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        try
        {
            KvServer server = host.Services.GetRequiredService<KvServer>();
            await host.StartAsync();
            var endPoint = (IPEndPoint)await server.Ready.WaitAsync(TimeSpan.FromSeconds(30));
            return new TestServer(host, server, endPoint, directory);
        }
        catch
        {
            await host.StopAsync();
            host.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the worker of <paramref name="shard"/> (that shard's own thread).</summary>
    public Task<T> OnShardAsync<T>(int shard, Func<ShardStore, Task<T>> work)
    {
        ShardStore store = Server.Shards[shard];
        return store.Worker.RunAsync(() => work(store));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>A folder under the system's temporary folder, deleted at the end.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Directory.CreateTempSubdirectory("uringkv-test-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
