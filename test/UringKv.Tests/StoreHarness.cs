using Microsoft.Extensions.Logging.Abstractions;
using UringKv.Protocol;
using UringKv.Storage;
using UringScheduler;

namespace UringKv.Tests;

/// <summary>One shard store on a one-worker runtime, for storage tests below the protocol.</summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    private readonly UringRuntime _runtime = new(new UringRuntimeOptions { WorkerCount = 1, RingEntries = 64, PinWorkersToCpus = false });
    private readonly StoreOptions _options;

    /// <param name="directory">The data folder.</param>
    /// <param name="segmentSize">Size at which a segment rolls over.</param>
    /// <param name="valueCacheBytes">
    /// The value cache; none by default, so that storage tests read values back from the log they are about.
    /// </param>
    /// <param name="directReads">Values not in memory are read with O_DIRECT.</param>
    public StoreHarness(string directory, long segmentSize = 64L * 1024 * 1024, long valueCacheBytes = 0, bool directReads = false)
    {
        _options = new StoreOptions { Directory = directory, SegmentSize = segmentSize, CompactionInterval = TimeSpan.Zero, ValueCacheBytes = valueCacheBytes, DirectReads = directReads };
    }

    public ShardStore? Store { get; private set; }

    public string ShardDirectory => Path.Combine(_options.Directory, "shard-00");

    public Task OpenAsync() => RunAsync(async () =>
    {
        Store = new ShardStore(0, UringWorker.Current!, _options, NullLogger.Instance);
        await Store.OpenAsync();
        return 0;
    });

    public Task CloseAsync() => RunAsync(async () =>
    {
        await Store!.CloseAsync();
        Store = null;
        return 0;
    });

    public Task<T> RunAsync<T>(Func<Task<T>> work) => _runtime.Workers[0].RunAsync(work);

    public Task SetAsync(string key, string value) => RunAsync(async () =>
    {
        Reply reply = await Store!.Set(Bytes(key), Bytes(value), SetCondition.Always);
        Assert.That(reply.Kind, Is.Not.EqualTo(ReplyKind.Error));
        return 0;
    });

    public Task<string?> GetAsync(string key) => RunAsync(async () =>
    {
        Reply reply = await Store!.Get(Bytes(key));
        Assert.That(reply.Kind, Is.Not.EqualTo(ReplyKind.Error), () => (string)reply.Payload!);
        return reply.Kind is ReplyKind.Bulk or ReplyKind.PooledBulk ? System.Text.Encoding.UTF8.GetString(reply.Bulk) : null;
    });

    public Task<int> DeleteAsync(string key) => RunAsync(async () =>
    {
        CommitBatch? wait = null;
        int n = Store!.Delete(Bytes(key), ref wait);
        await ShardStore.AfterAcknowledged(wait, Reply.Ok);
        return n;
    });

    public string[] SegmentFiles() => Directory.GetFiles(ShardDirectory, "*.log").Order(StringComparer.Ordinal).ToArray();

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    public async ValueTask DisposeAsync()
    {
        if (Store is not null)
        {
            await CloseAsync();
        }

        await _runtime.DisposeAsync();
    }
}
