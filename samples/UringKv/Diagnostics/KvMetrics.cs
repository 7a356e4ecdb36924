using System.Diagnostics.Metrics;
using UringKv.Storage;

namespace UringKv.Diagnostics;

/// <summary>
/// The service's meter, <c>UringKv</c>: per-shard counters read from the shards' statistics when a listener asks
/// (nothing is recorded on the request path).
/// </summary>
internal static class KvMetrics
{
    public const string MeterName = "UringKv";

    private static readonly Meter s_meter = new(MeterName, "1.0.0");
    private static readonly Lock s_lock = new();
    private static ShardStatistics[] s_shards = [];

    static KvMetrics()
    {
        Counter("uringkv.operations", "{operation}", "key operations run by the shard", s => s.Operations);
        Counter("uringkv.commands", "{command}", "commands received by the shard's connections", s => s.Commands);
        Counter("uringkv.forwarded", "{request}", "requests forwarded by this shard's worker to another shard", s => s.ForwardedOut);
        Counter("uringkv.forwarded.received", "{request}", "requests run for connections of other workers", s => s.ForwardedIn);
        Counter("uringkv.log.records", "{record}", "records appended to the log (writes)", s => s.Records);
        Counter("uringkv.log.batches", "{batch}", "group-commit batches written", s => s.Batches);
        Counter("uringkv.log.bytes", "By", "bytes appended to the log", s => s.LogBytes);
        Counter("uringkv.fsyncs", "{fsync}", "fdatasync calls on the log", s => s.Fsyncs);
        Counter("uringkv.fsync.records", "{record}", "records made durable by those fdatasync calls (per fsync: divide by uringkv.fsyncs)", s => s.SyncedRecords);
        Counter("uringkv.disk.reads", "{read}", "values read from the segment files", s => s.DiskReads);
        Counter("uringkv.compactions", "{compaction}", "compactions run", s => s.Compactions);
        Counter("uringkv.compaction.reclaimed", "By", "log bytes freed by compaction", s => s.CompactionReclaimedBytes);
        Gauge("uringkv.keys", "{key}", "keys in the shard", s => s.Keys);
        Gauge("uringkv.disk.bytes", "By", "bytes of the shard's segment files", s => s.DiskBytes);
        Gauge("uringkv.segments", "{segment}", "segment files of the shard", s => s.Segments);
    }

    public static void Register(ShardStatistics statistics)
    {
        lock (s_lock)
        {
            s_shards = [.. s_shards, statistics];
        }
    }

    public static void Unregister(ShardStatistics statistics)
    {
        lock (s_lock)
        {
            s_shards = s_shards.Where(s => s != statistics).ToArray();
        }
    }

    private static void Counter(string name, string unit, string description, Func<ShardStatistics, long> read) =>
        s_meter.CreateObservableCounter(name, () => Measure(read), unit, description);

    private static void Gauge(string name, string unit, string description, Func<ShardStatistics, long> read) =>
        s_meter.CreateObservableUpDownCounter(name, () => Measure(read), unit, description);

    private static IEnumerable<Measurement<long>> Measure(Func<ShardStatistics, long> read)
    {
        // The shards' fields are read racily on purpose: a figure may be a moment old.
        foreach (ShardStatistics s in Volatile.Read(ref s_shards))
        {
            yield return new Measurement<long>(read(s), new KeyValuePair<string, object?>("uringkv.shard", s.Shard));
        }
    }
}
