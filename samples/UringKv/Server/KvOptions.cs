using UringKv.Storage;

namespace UringKv.Server;

/// <summary>The service's settings, from the command line.</summary>
internal sealed class KvOptions
{
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 6380;

    public string Directory { get; set; } = System.IO.Path.Combine("artifacts", "kv");

    /// <summary>Workers, and so shards; 0: one per CPU.</summary>
    public int Workers { get; set; }

    public Durability Durability { get; set; } = Durability.Always;

    public long SegmentSize { get; set; } = 64L * 1024 * 1024;

    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Memory per shard for values kept beside their keys (<c>--cache-mb</c>; 0: only small values).</summary>
    public long ValueCacheBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Values not in memory are read with O_DIRECT (<c>--direct-reads</c>).</summary>
    public bool DirectReads { get; set; }

    public StoreOptions ToStoreOptions() => new()
    {
        Directory = System.IO.Path.GetFullPath(Directory),
        Durability = Durability,
        SegmentSize = SegmentSize,
        CompactionInterval = CompactionInterval,
        ValueCacheBytes = ValueCacheBytes,
        DirectReads = DirectReads,
    };

    public string DurabilityName => Durability switch
    {
        Durability.Always => "always",
        Durability.EverySecond => "everysec",
        _ => "no",
    };

    /// <summary>Parses <c>--bind --port --dir --workers --durability</c> (and <c>--segment-mb</c>, <c>--compaction-seconds</c>, <c>--cache-mb</c>, <c>--direct-reads</c>).</summary>
    public static KvOptions Parse(string[] args)
    {
        var options = new KvOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--bind":
                    options.Bind = Value();
                    break;
                case "--port":
                    options.Port = ParseInt(name, Value(), 0, 65535);
                    break;
                case "--dir":
                    options.Directory = Value();
                    break;
                case "--workers":
                    options.Workers = ParseInt(name, Value(), 1, 1024);
                    break;
                case "--durability":
                    options.Durability = Value() switch
                    {
                        "always" => Durability.Always,
                        "everysec" => Durability.EverySecond,
                        "no" => Durability.No,
                        string other => throw new ArgumentException($"--durability must be always, everysec or no; got '{other}'"),
                    };
                    break;
                case "--segment-mb":
                    options.SegmentSize = ParseInt(name, Value(), 1, 1024) * 1024L * 1024;
                    break;
                case "--compaction-seconds":
                    options.CompactionInterval = TimeSpan.FromSeconds(ParseInt(name, Value(), 0, 86400));
                    break;
                case "--direct-reads":
                    options.DirectReads = true;
                    break;
                case "--cache-mb":
                    options.ValueCacheBytes = ParseInt(name, Value(), 0, 1024 * 1024) * 1024L * 1024;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{name}'");
            }
        }

        return options;
    }

    private static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be an integer from {min} to {max}; got '{text}'");
}
