using System.Net;
using Microsoft.Extensions.Logging;
using UringKv.Diagnostics;
using UringKv.Storage;
using UringKv.Transport;
using UringScheduler;

namespace UringKv.Server;

/// <summary>
/// What the workers share: the shards, the listener, and the start and stop barriers. Shards open in parallel, one
/// on each worker; the listener is bound and "ready" printed only when all are open, and a shard closes only when no
/// connection on any worker can reach it any more.
/// </summary>
internal sealed class KvServer
{
    private readonly TaskCompletionSource<EndPoint> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly ILogger<KvServer> _logger;
    private int _opened;
    private int _drainedWorkers;
    private int _closed;
    private long _nextClientId;
    private long _connectedClients;

    public KvServer(KvOptions options, UringRuntime runtime, ILogger<KvServer> logger)
    {
        Options = options;
        Runtime = runtime;
        _logger = logger;
        Shards = new ShardSet(runtime.Workers);
        StoreOptions = options.ToStoreOptions();
        CheckLayout();
    }

    public KvOptions Options { get; }

    public StoreOptions StoreOptions { get; }

    public UringRuntime Runtime { get; }

    public ShardSet Shards { get; }

    public IKvListener? Listener { get; private set; }

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    /// <summary>Completes with the bound endpoint once every shard is open and connections are accepted.</summary>
    public Task<EndPoint> Ready => _ready.Task;

    /// <summary>Completes once every worker has stopped accepting and closed its connections.</summary>
    public Task Drained => _drained.Task;

    public long ConnectedClients => Volatile.Read(ref _connectedClients);

    public long NextClientId() => Interlocked.Increment(ref _nextClientId);

    public void ClientConnected() => Interlocked.Increment(ref _connectedClients);

    public void ClientDisconnected() => Interlocked.Decrement(ref _connectedClients);

    /// <summary>
    /// Checks (or records) how many shards the data folder was written with: keys are placed by hash modulo the
    /// shard count, so the same folder must be served by as many workers as made it. Runs once, when the server is
    /// created (before the workers open their shards, and not on a worker: it blocks on file system calls).
    /// </summary>
    private void CheckLayout()
    {
        string directory = StoreOptions.Directory;
        Directory.CreateDirectory(directory);
        string meta = Path.Combine(directory, "uringkv.meta");
        string expected = $"shards={Shards.Count}";
        if (File.Exists(meta))
        {
            string found = File.ReadAllText(meta).Trim();
            if (found != expected)
            {
                string count = found.Replace("shards=", "", StringComparison.Ordinal);
                throw new InvalidOperationException(
                    $"{directory} was written with {count} shard(s) and this server has {Shards.Count}: start it with --workers {count} or use another --dir.");
            }

            return;
        }

        using (var stream = new FileStream(meta, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(expected + "\n"));
            stream.Flush(flushToDisk: true);
        }

        NativeMethods.SyncDirectory(directory);
    }

    /// <summary>A shard is open; the last one binds the listener and announces that the server is ready.</summary>
    public void ShardOpened(ShardStore store)
    {
        bool last;
        lock (_lock)
        {
            Shards.Set(store.Shard, store);
            KvMetrics.Register(store.Statistics);
            last = ++_opened == Shards.Count;
        }

        if (!last)
        {
            return;
        }

        try
        {
            if (!IPAddress.TryParse(Options.Bind, out IPAddress? address))
            {
                throw new ArgumentException($"--bind must be an IP address; got '{Options.Bind}'");
            }

            Listener = KvTransport.Bind(Runtime, new IPEndPoint(address, Options.Port));
            var endPoint = (IPEndPoint)Listener.LocalEndPoint;
            Console.Out.WriteLine($"UringKv ready: accepting connections on {endPoint} (port {endPoint.Port}), {Shards.Count} shard(s), durability {Options.DurabilityName}, data in {StoreOptions.Directory}");
            Console.Out.Flush();
            _ready.TrySetResult(endPoint);
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    /// <summary>A shard could not open: the server cannot start.</summary>
    public void StartFailed(Exception error) => _ready.TrySetException(error);

    public void WorkerDrained()
    {
        if (Interlocked.Increment(ref _drainedWorkers) == Shards.Count)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>A shard is closed; the last one closes the listener.</summary>
    public async Task ShardClosedAsync(ShardStore store)
    {
        KvMetrics.Unregister(store.Statistics);
        if (Interlocked.Increment(ref _closed) == Shards.Count && Listener is not null)
        {
            await Listener.DisposeAsync();
            Log.ServerStopped(_logger, Shards.Count);
        }
    }
}
